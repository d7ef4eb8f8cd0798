import type { Progress } from "./progress.js";

/**
 * Ctrl-C, as a seam: a command that handles it itself listens here (the
 * entry point then no longer cancels the run), and tests press it without
 * signalling the test runner.
 */
export interface Interrupts {
  /** Listens until the returned function is called. */
  on(handler: () => void): () => void;
}

export interface CtrlC {
  /** Aborted at the first Ctrl-C: take no more rows. */
  stopTaking: AbortSignal;
  /** Aborted at the second: give up waiting to retry. */
  abandon: AbortSignal;
  interrupted(): boolean;
  release(): void;
}

/** Listens for Ctrl-C for the length of a run: the first stops taking rows, the second gives up retries. */
export function watchCtrlC(interrupts: Interrupts, progress: Progress): CtrlC {
  const stopTaking = new AbortController();
  const abandon = new AbortController();
  const release = interrupts.on(() => {
    if (stopTaking.signal.aborted) {
      progress.note("stopping now: rows waiting to retry are left for the next run");
      abandon.abort();
      return;
    }
    progress.note("stopping: finishing the rows in flight (Ctrl-C again to give up their retries)");
    stopTaking.abort();
  });
  return { stopTaking: stopTaking.signal, abandon: abandon.signal, interrupted: () => stopTaking.signal.aborted, release };
}
