import type { Counts } from "./progress.js";
import type { Provisioned } from "./provision.js";
import type { ReportEntry } from "./report.js";
import type { Row } from "./rows.js";

export interface PoolOptions {
  rows: AsyncIterable<Row>;
  concurrency: number;
  provision: (row: Row) => Promise<Provisioned>;
  /** Called for each finished row, one at a time; the next row is taken only once it resolves. */
  finish: (entry: ReportEntry) => Promise<void>;
  /** Resolves when no more rows should be taken (Ctrl-C). */
  stopped: Promise<void>;
  /** Ends the reading of input once the run stops. */
  closeInput: () => void;
  onUpdate: (counts: Counts) => void;
}

export interface PoolResult {
  counts: Counts;
  /** Set when the run stopped early on an error (server gone, report unwritable, unreadable input). */
  fatal?: unknown;
  /** Rows that were read but given up (second Ctrl-C): not in the report, so a re-run does them. */
  abandoned: number;
}

/**
 * Runs rows through `concurrency` workers that pull from one iterator, so at
 * most `concurrency` rows are in memory and in flight, and a worker takes its
 * next row only after its last one is in the report.
 */
export async function runPool(options: PoolOptions): Promise<PoolResult> {
  const iterator = options.rows[Symbol.asyncIterator]();
  const counts: Counts = { created: 0, exists: 0, failed: 0 };
  const result: PoolResult = { counts, abandoned: 0 };
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    options.closeInput();
  };
  const noMoreRows = options.stopped.then(() => {
    stop();
    return { done: true as const, value: undefined };
  });

  const fail = (error: unknown) => {
    result.fatal ??= error;
    stop();
  };

  const worker = async () => {
    while (!stopping) {
      let next: IteratorResult<Row>;
      try {
        const pending = iterator.next();
        pending.catch(() => undefined); // if Ctrl-C wins the race, the read may still fail later
        next = await Promise.race([pending, noMoreRows]);
      } catch (error) {
        // Closing the input on Ctrl-C ends a pending read with an error; only a real one counts.
        if (!stopping) fail(error);
        return;
      }
      if (next.done || stopping) return;
      let provisioned: Provisioned;
      try {
        provisioned = await options.provision(next.value);
      } catch (error) {
        if ((error as Error).name === "AbortError") result.abandoned++;
        else fail(error);
        continue;
      }
      try {
        await options.finish(provisioned.entry);
      } catch (error) {
        fail(error);
        return;
      }
      counts[provisioned.entry.outcome]++;
      options.onUpdate(counts);
      if (provisioned.fatal) fail(provisioned.fatal);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return result;
}
