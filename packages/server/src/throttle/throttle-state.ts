/** One event under `key` at `at` (ms); it counts until `expires`, and may be deleted after. */
export interface ThrottleEvent {
  key: string;
  at: number;
  expires: number;
}

/** The live events of each key asked about, as times oldest first; a key with none is absent. */
export type Histories = ReadonlyMap<string, readonly number[]>;

/** Groups `key, at` rows (oldest first) into histories. */
export function historiesOf(rows: Iterable<{ key: string; at: number }>): Histories {
  const histories = new Map<string, number[]>();
  for (const { key, at } of rows) {
    const history = histories.get(key);
    if (history) history.push(at);
    else histories.set(key, [at]);
  }
  return histories;
}

/** What a check decided: its verdict, and the events to record with it (none for a refusal). */
export interface Decision<T> {
  verdict: T;
  record: readonly ThrottleEvent[];
}

/**
 * Where throttles keep their history: timed events per key. Asynchronous so
 * that a shared implementation (several processes or instances on one
 * database) can stand behind the same interface; every method is atomic
 * with respect to every other caller on the same database.
 */
export interface ThrottleState {
  /**
   * Check-and-record as one step: reads the events under each of `keys` that
   * have not expired at `now`, and records the events `decide` returns, with
   * no other `admit` on these keys in between, so concurrent checks cannot
   * all pass on the same history. `decide` runs synchronously inside the
   * step and must not throw.
   */
  admit<T>(keys: readonly string[], now: number, decide: (histories: Histories) => Decision<T>): Promise<T>;
  /**
   * As one step: deletes one event matching each of `forget` (by key and
   * time), and makes each of `replace` the only event under its key.
   */
  settle(forget: readonly ThrottleEvent[], replace: readonly ThrottleEvent[]): Promise<void>;
}

/** The default most keys an in-memory state remembers; the least recently written go first. */
const DEFAULT_MAX_KEYS = 100_000;

/**
 * One process's throttle history; every method runs without yielding, which
 * makes it atomic. Memory stays bounded however many keys an attacker
 * invents: expired events are dropped when their key is read and, past
 * `maxKeys`, the key written least recently is dropped.
 */
export class MemoryThrottleState implements ThrottleState {
  /** Per key, its events oldest first; the Map's order is the order keys were last written. */
  private readonly events = new Map<string, ThrottleEvent[]>();

  constructor(private readonly maxKeys = DEFAULT_MAX_KEYS) {}

  admit<T>(keys: readonly string[], now: number, decide: (histories: Histories) => Decision<T>): Promise<T> {
    const { verdict, record } = decide(this.read(keys, now));
    for (const event of record) this.write(event.key, [...(this.events.get(event.key) ?? []), event]);
    return Promise.resolve(verdict);
  }

  settle(forget: readonly ThrottleEvent[], replace: readonly ThrottleEvent[]): Promise<void> {
    for (const { key, at } of forget) {
      const events = this.events.get(key) ?? [];
      const index = events.findIndex((event) => event.at === at);
      if (index !== -1) this.write(key, events.toSpliced(index, 1));
    }
    for (const event of replace) this.write(event.key, [event]);
    return Promise.resolve();
  }

  private read(keys: readonly string[], now: number): Histories {
    const histories = new Map<string, readonly number[]>();
    for (const key of keys) {
      const events = this.events.get(key) ?? [];
      const live = events.filter((event) => event.expires > now);
      if (live.length === 0) this.events.delete(key);
      else {
        // Set on a present key keeps its place in the Map's order.
        if (live.length < events.length) this.events.set(key, live);
        histories.set(
          key,
          live.map((event) => event.at).sort((a, b) => a - b),
        );
      }
    }
    return histories;
  }

  private write(key: string, events: ThrottleEvent[]): void {
    // Re-inserting moves the key to the end of the Map's order: the most recently touched.
    this.events.delete(key);
    if (events.length === 0) return;
    this.events.set(key, events);
    if (this.events.size > this.maxKeys) {
      const oldest = this.events.keys().next().value;
      if (oldest !== undefined) this.events.delete(oldest);
    }
  }
}
