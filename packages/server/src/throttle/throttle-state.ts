/**
 * Where throttles keep their history: the times of recent events per key.
 * Asynchronous so that a shared implementation (several processes or
 * instances on one database) can stand behind the same interface.
 */
export interface ThrottleState {
  /** The times (ms) of the events under `key` after `since`, oldest first. */
  recent(key: string, since: number): Promise<readonly number[]>;
  /** Records an event under `key` at `at`; it may be forgotten once older than `keepMs`. */
  record(key: string, at: number, keepMs: number): Promise<void>;
  /** Releases what the state holds of its own, such as a database connection. */
  close?(): void | Promise<void>;
}

/** The default most keys an in-memory state remembers; the least recently touched go first. */
const DEFAULT_MAX_KEYS = 100_000;

/**
 * One process's throttle history. Memory stays bounded however many keys an
 * attacker invents: histories are pruned when touched and, past `maxKeys`,
 * the key touched least recently is dropped.
 */
export class MemoryThrottleState implements ThrottleState {
  private readonly histories = new Map<string, number[]>();

  constructor(private readonly maxKeys = DEFAULT_MAX_KEYS) {}

  recent(key: string, since: number): Promise<readonly number[]> {
    return Promise.resolve(this.prune(key, since));
  }

  record(key: string, at: number, keepMs: number): Promise<void> {
    const history = this.prune(key, at - keepMs).slice();
    history.push(at);
    // Re-inserting moves the key to the end of the Map's order: the most recently touched.
    this.histories.delete(key);
    this.histories.set(key, history);
    if (this.histories.size > this.maxKeys) {
      const oldest = this.histories.keys().next().value;
      if (oldest !== undefined) this.histories.delete(oldest);
    }
    return Promise.resolve();
  }

  /** The key's events after `since`, dropping older ones. */
  private prune(key: string, since: number): readonly number[] {
    const history = this.histories.get(key);
    if (!history) return [];
    const firstKept = history.findIndex((time) => time > since);
    if (firstKept === -1) {
      this.histories.delete(key);
      return [];
    }
    if (firstKept > 0) history.splice(0, firstKept);
    return history;
  }
}
