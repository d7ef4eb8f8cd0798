import { setTimeout as sleep } from "node:timers/promises";
import { StoreBusy } from "./store.js";

/**
 * Runs a synchronous better-sqlite3 `operation`, retrying with jittered
 * backoff off the event loop while another process holds a lock, for at most
 * `timeoutMs`; then StoreBusy. SQLite's own busy wait would block the event
 * loop, so connections run with `busy_timeout = 0` and wait here instead.
 */
export async function retryWhileBusy<T>(operation: () => T, timeoutMs: number): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return operation();
    } catch (error) {
      if (!isBusy(error)) throw error;
      const waited = Date.now() - started;
      if (waited >= timeoutMs) throw new StoreBusy(waited);
      const backoff = Math.min(100, 2 ** attempt) * (0.5 + Math.random());
      await sleep(Math.min(backoff, timeoutMs - waited));
    }
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}
