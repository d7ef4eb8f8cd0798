import type { Rate } from "./rate.js";
import type { ThrottleState } from "./throttle-state.js";

/** A limit on events under one kind of key (a username, a client address). */
export class Throttle {
  constructor(
    private readonly scope: string,
    private readonly rate: Rate,
    private readonly state: ThrottleState,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Seconds until `key` may act again, or undefined when it may act now:
   * DRF's sliding window, where the wait is until enough of the recorded
   * events have aged out of it.
   */
  async wait(key: string): Promise<number | undefined> {
    const now = this.now();
    const history = await this.state.recent(this.keyOf(key), now - this.rate.windowMs);
    if (history.length < this.rate.limit) return undefined;
    const freesASlot = history[history.length - this.rate.limit] ?? now;
    return Math.max(1, Math.ceil((freesASlot + this.rate.windowMs - now) / 1000));
  }

  async record(key: string): Promise<void> {
    await this.state.record(this.keyOf(key), this.now(), this.rate.windowMs);
  }

  private keyOf(key: string): string {
    return `${this.scope}:${key}`;
  }
}
