import type { Counts } from "./progress.js";
import type { Provisioned } from "./provision.js";
import type { Outcome, ReportEntry } from "./report.js";
import type { Row } from "./rows.js";

export interface PoolOptions {
  rows: AsyncIterable<Row>;
  concurrency: number;
  /** A row's outcome, or, for a row the report already settles (nothing sent, nothing written), the outcome it was settled with. */
  provision: (row: Row) => Promise<Provisioned | DoneEarlier>;
  /** Called for each finished row, one at a time; the next row is taken only once it resolves. */
  finish: (entry: ReportEntry) => Promise<void>;
  /** Aborted when no more rows should be taken (Ctrl-C). */
  stopSignal: AbortSignal;
  /** Ends the reading of input once the run stops. */
  closeInput: () => void;
  onUpdate: (counts: Counts) => void;
}

export interface DoneEarlier {
  doneEarlier: Outcome;
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
  const counts: Counts = { created: 0, exists: 0, failed: 0, doneEarlier: 0, failedEarlier: 0 };
  const result: PoolResult = { counts, abandoned: 0 };
  // An object, not a local: workers read it after awaits that another worker's stop() ran during.
  const state = { stopping: false };
  const stop = () => {
    if (state.stopping) return;
    state.stopping = true;
    options.closeInput();
  };
  // Read through a function: the compiler would otherwise assume the flag cannot change across awaits.
  const isStopping = () => state.stopping;
  options.stopSignal.addEventListener("abort", stop, { once: true });

  const fail = (error: unknown) => {
    result.fatal ??= error;
    stop();
  };

  const worker = async () => {
    while (!state.stopping) {
      let next: IteratorResult<Row>;
      try {
        next = await nextUnlessStopped(iterator, options.stopSignal);
      } catch (error) {
        // Closing the input on Ctrl-C ends a pending read with an error; only a real one counts.
        if (!isStopping()) fail(error);
        return;
      }
      if (next.done || isStopping()) return;
      let provisioned: Provisioned | DoneEarlier;
      try {
        provisioned = await options.provision(next.value);
      } catch (error) {
        if ((error as Error).name === "AbortError") result.abandoned++;
        else fail(error);
        continue;
      }
      if ("doneEarlier" in provisioned) {
        counts.doneEarlier++;
        if (provisioned.doneEarlier === "failed") counts.failedEarlier++;
        options.onUpdate(counts);
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

/**
 * The next row, or done once the signal aborts, whichever comes first. Not
 * `Promise.race` against one long-lived promise: every race would leave a
 * reaction on it, and 100 000 rows would keep 100 000 of them alive.
 */
function nextUnlessStopped(iterator: AsyncIterator<Row>, signal: AbortSignal): Promise<IteratorResult<Row>> {
  if (signal.aborted) return Promise.resolve({ done: true, value: undefined });
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      resolve({ done: true, value: undefined });
    };
    signal.addEventListener("abort", onAbort, { once: true });
    iterator.next().then(
      (next) => {
        signal.removeEventListener("abort", onAbort);
        resolve(next);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        // After Ctrl-C, closing the input ends a pending read with an error; that one is expected.
        if (signal.aborted) resolve({ done: true, value: undefined });
        else reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
