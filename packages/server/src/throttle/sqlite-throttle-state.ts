import Database from "better-sqlite3";
import { retryWhileBusy } from "../store/sqlite-busy.js";
import { historiesOf, type Decision, type Histories, type ThrottleEvent, type ThrottleState } from "./throttle-state.js";

/** Expired events of every key are swept after this many admissions that recorded, so the table stays as small as the live windows. */
const SWEEP_EVERY = 1000;

interface Options {
  /** How long an operation keeps retrying while another process holds the write lock. */
  lockTimeoutMs: number;
}

/**
 * Throttle history in the server's SQLite database (table `throttle_events`,
 * created by the store's migrations), so every worker process — and every
 * server on the same data directory — counts the same failed logins, and the
 * count survives a restart. `admit` and `settle` are `BEGIN IMMEDIATE`
 * transactions: the write lock is taken before the read, so no other
 * process can check the same history in between. Its own connection runs
 * `synchronous = NORMAL`: an event lost to a power cut only lets one more
 * attempt through, and a login does not wait on a second fsync. Locks held
 * by other processes are retried off the event loop, like the store's.
 */
export class SqliteThrottleState implements ThrottleState {
  private readonly db: Database.Database;
  private readonly liveEvents;
  private readonly insertEvent;
  private readonly pruneKeys;
  private readonly sweep;
  private readonly forgetOne;
  private readonly clearKey;
  private recorded = 0;

  /** `path` is a database the store has already opened and migrated. */
  constructor(path: string, private readonly options: Options) {
    // No busy wait inside SQLite: it would block the event loop; retry() waits instead.
    this.db = new Database(path, { timeout: 0 });
    this.db.pragma("synchronous = NORMAL");
    // Keys go in as one JSON array, so one prepared statement serves any number of them.
    this.liveEvents = this.db.prepare<[string, number], { key: string; at: number }>(
      "SELECT key, at FROM throttle_events WHERE key IN (SELECT value FROM json_each(?)) AND expires > ? ORDER BY at",
    );
    this.insertEvent = this.db.prepare<[string, number, number]>("INSERT INTO throttle_events (key, at, expires) VALUES (?, ?, ?)");
    this.pruneKeys = this.db.prepare<[string, number]>("DELETE FROM throttle_events WHERE key IN (SELECT value FROM json_each(?)) AND expires <= ?");
    this.sweep = this.db.prepare<[number]>("DELETE FROM throttle_events WHERE expires <= ?");
    this.forgetOne = this.db.prepare<[string, number]>(
      "DELETE FROM throttle_events WHERE rowid = (SELECT rowid FROM throttle_events WHERE key = ? AND at = ? LIMIT 1)",
    );
    this.clearKey = this.db.prepare<[string]>("DELETE FROM throttle_events WHERE key = ?");
  }

  admit<T>(keys: readonly string[], now: number, decide: (histories: Histories) => Decision<T>): Promise<T> {
    const step = this.db.transaction(() => {
      const keysJson = JSON.stringify(keys);
      const { verdict, record } = decide(historiesOf(this.liveEvents.all(keysJson, now)));
      if (record.length === 0) return verdict;
      for (const event of record) this.insertEvent.run(event.key, event.at, event.expires);
      if (++this.recorded % SWEEP_EVERY === 0) this.sweep.run(now);
      else this.pruneKeys.run(keysJson, now);
      return verdict;
    });
    return this.retry(() => step.immediate());
  }

  settle(forget: readonly ThrottleEvent[], replace: readonly ThrottleEvent[]): Promise<void> {
    if (forget.length === 0 && replace.length === 0) return Promise.resolve();
    const step = this.db.transaction(() => {
      for (const { key, at } of forget) this.forgetOne.run(key, at);
      for (const event of replace) {
        this.clearKey.run(event.key);
        this.insertEvent.run(event.key, event.at, event.expires);
      }
    });
    return this.retry(() => { step.immediate(); });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private retry<T>(operation: () => T): Promise<T> {
    return retryWhileBusy(operation, this.options.lockTimeoutMs);
  }
}
