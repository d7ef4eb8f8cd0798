import { setTimeout as delay } from "node:timers/promises";

/**
 * How long a test waits for a state before failing: a bound on a hang, not a
 * timing. Generous, so that a machine whose cores are busy still passes.
 */
export const STATE_TIMEOUT_MS = 60_000;

/**
 * Polls `probe` every few milliseconds until it gives a value other than
 * `undefined` or `false` (a state, never a fixed time), and returns it; fails
 * naming `what` after `ms`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = STATE_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(5);
  }
}
