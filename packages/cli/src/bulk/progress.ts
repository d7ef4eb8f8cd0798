import type { Options, Params } from "cli-progress";

export interface Counts {
  created: number;
  exists: number;
  failed: number;
  /** Rows the report already settled: not sent again. */
  doneEarlier: number;
  /** Of those, the ones settled as failed. */
  failedEarlier: number;
}

/** Rows sent in this run. */
export const rowsSent = (counts: Counts) => counts.created + counts.exists + counts.failed;
export const rowsDone = (counts: Counts) => rowsSent(counts) + counts.doneEarlier;

/** What a person sees while rows go by: a bar at a terminal, a plain line every few seconds otherwise, or nothing. */
export interface Progress {
  setTotal(total: number): void;
  update(counts: Counts): void;
  /** Something worth a line of its own (the server asked us to wait, Ctrl-C). */
  note(message: string): void;
  stop(): void;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

export interface ProgressOptions {
  stream: Stream;
  quiet: boolean;
  startedAt: number;
  plainEveryMs?: number;
}

export async function createProgress({ stream, quiet, startedAt, plainEveryMs = 5000 }: ProgressOptions): Promise<Progress> {
  if (quiet) return { setTotal: () => undefined, update: () => undefined, note: () => undefined, stop: () => undefined };
  if (stream.isTTY) return barProgress(stream, startedAt);
  return plainProgress(stream, startedAt, plainEveryMs);
}

/**
 * `412/1000 rows · 83.1/s · ETA 7s · 2 failed` (the total, and so the ETA,
 * only once known). The rate is of rows sent: rows done earlier cost nothing.
 */
export function describeProgress(counts: Counts, total: number | undefined, elapsedMs: number): string {
  const done = rowsDone(counts);
  const rate = elapsedMs > 0 ? (rowsSent(counts) * 1000) / elapsedMs : 0;
  const parts = [total === undefined ? `${done} rows` : `${done}/${total} rows`, `${rate.toFixed(1)}/s`];
  if (total !== undefined && rate > 0) parts.push(`ETA ${formatSeconds(Math.max(0, total - done) / rate)}`);
  parts.push(`${counts.failed} failed`);
  return parts.join(" · ");
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

async function barProgress(stream: Stream, startedAt: number): Promise<Progress> {
  const { default: cliProgress } = await import("cli-progress");
  let total: number | undefined;
  let counts: Counts = { created: 0, exists: 0, failed: 0, doneEarlier: 0, failedEarlier: 0 };
  const format = (options: Options, params: Params) => {
    const text = describeProgress(counts, total, Date.now() - startedAt);
    return total === undefined ? text : `${cliProgress.Format.BarFormat(params.progress, options)} ${text}`;
  };
  const bar = new cliProgress.SingleBar(
    { stream, format, hideCursor: true, barsize: 24, fps: 5, linewrap: false, clearOnComplete: false, gracefulExit: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(0, 0);
  return {
    setTotal: (value) => {
      total = value;
      bar.setTotal(value);
    },
    update: (value) => {
      counts = { ...value };
      bar.update(rowsDone(value));
    },
    note: (message) => {
      // cli-progress puts the cursor back where the bar started when it stops, so a line
      // printed under a running bar would be overwritten: stop it, turn its line into
      // the message, and start a fresh bar below.
      bar.stop();
      stream.write(`\x1b[1A\r\x1b[2K${message}\n`);
      bar.start(total ?? 0, rowsDone(counts));
    },
    stop: () => {
      bar.stop();
    },
  };
}

function plainProgress(stream: Stream, startedAt: number, everyMs: number): Progress {
  let total: number | undefined;
  let counts: Counts = { created: 0, exists: 0, failed: 0, doneEarlier: 0, failedEarlier: 0 };
  const timer = setInterval(() => {
    stream.write(`progress: ${describeProgress(counts, total, Date.now() - startedAt)}\n`);
  }, everyMs);
  timer.unref();
  return {
    setTotal: (value) => {
      total = value;
    },
    update: (value) => {
      counts = { ...value };
    },
    note: (message) => {
      stream.write(`${message}\n`);
    },
    stop: () => {
      clearInterval(timer);
    },
  };
}
