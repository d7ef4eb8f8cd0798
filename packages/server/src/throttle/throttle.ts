import type { Rate } from "./rate.js";
import type { ThrottleState } from "./throttle-state.js";

/** Whole seconds for a Retry-After, at least 1. */
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * DRF's sliding window over `history` (event times, oldest first): undefined
 * while fewer than `rate.limit` events are in the window, else the seconds
 * until enough of them have aged out of it.
 */
export function windowWait(history: readonly number[], rate: Rate, now: number): number | undefined {
  const inWindow = history.filter((at) => at > now - rate.windowMs);
  if (inWindow.length < rate.limit) return undefined;
  const freesASlot = inWindow[inWindow.length - rate.limit] ?? now;
  return seconds(freesASlot + rate.windowMs - now);
}

/** The longest progressive delay: past it, attempts are spaced evenly until the window's limit blocks them. */
export const MAX_DELAY_MS = 300_000;

/**
 * The progressive delay (OWASP's "ever increasing delays between attempts"):
 * the first `after` events go through at once; after the n-th beyond them the
 * next must wait 2^n seconds (1, 2, 4 … at most MAX_DELAY_MS) from the last.
 */
export function delayWait(history: readonly number[], after: number, now: number): number | undefined {
  const beyond = history.length - after;
  const last = history.at(-1);
  if (beyond < 0 || last === undefined) return undefined;
  const remaining = last + Math.min(MAX_DELAY_MS, 1000 * 2 ** beyond) - now;
  return remaining > 0 ? seconds(remaining) : undefined;
}

/** A limit on events under one kind of key (registrations per address) where every attempt counts. */
export class RateThrottle {
  constructor(
    private readonly scope: string,
    private readonly rate: Rate,
    private readonly state: ThrottleState,
    private readonly now: () => number,
  ) {}

  /**
   * Counts an event for `key` and returns undefined, or returns the seconds
   * to wait and counts nothing; one atomic step, so concurrent requests
   * cannot overshoot the limit.
   */
  take(key: string): Promise<number | undefined> {
    return this.step(key, true);
  }

  /** The seconds `key` would wait now, counting nothing (for events known only after the fact: see `count`). */
  wait(key: string): Promise<number | undefined> {
    return this.step(key, false);
  }

  /** Counts an event for `key` that already happened, whatever the limit says. */
  async count(key: string): Promise<void> {
    const scoped = `${this.scope}:${key}`;
    const now = this.now();
    await this.state.admit([scoped], now, () => ({ verdict: undefined, record: [this.event(scoped, now)] }));
  }

  private step(key: string, record: boolean): Promise<number | undefined> {
    const scoped = `${this.scope}:${key}`;
    const now = this.now();
    return this.state.admit([scoped], now, (histories) => {
      const wait = windowWait(histories.get(scoped) ?? [], this.rate, now);
      return { verdict: wait, record: record && wait === undefined ? [this.event(scoped, now)] : [] };
    });
  }

  private event(key: string, now: number) {
    return { key, at: now, expires: now + this.rate.windowMs };
  }
}
