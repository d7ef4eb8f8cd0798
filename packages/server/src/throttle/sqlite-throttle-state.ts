import Database from "better-sqlite3";
import { retryWhileBusy } from "../store/sqlite-busy.js";
import type { ThrottleState } from "./throttle-state.js";

/** Expired events are swept after this many records, so the table stays as small as the live windows. */
const SWEEP_EVERY = 1000;

interface Options {
  /** How long an operation keeps retrying while another process holds the write lock. */
  lockTimeoutMs: number;
  now?: () => number;
}

/**
 * Throttle history in the server's SQLite database (table `throttle_events`,
 * created by the store's migrations), so every worker process — and every
 * server on the same data directory — counts the same failed logins, and the
 * count survives a restart. Its own connection runs `synchronous = NORMAL`:
 * an event lost to a power cut only lets one more attempt through, and a
 * login does not wait on a second fsync. Locks held by other processes are
 * retried off the event loop, like the store's.
 */
export class SqliteThrottleState implements ThrottleState {
  private readonly db: Database.Database;
  private readonly recentEvents;
  private readonly write;
  private recorded = 0;
  private readonly now: () => number;

  /** `path` is a database the store has already opened and migrated. */
  constructor(path: string, private readonly options: Options) {
    this.now = options.now ?? Date.now;
    // No busy wait inside SQLite: it would block the event loop; retry() waits instead.
    this.db = new Database(path, { timeout: 0 });
    this.db.pragma("synchronous = NORMAL");
    this.recentEvents = this.db.prepare<[string, number], { at: number }>(
      "SELECT at FROM throttle_events WHERE key = ? AND at > ? ORDER BY at",
    );
    const insertEvent = this.db.prepare<[string, number, number]>("INSERT INTO throttle_events (key, at, expires) VALUES (?, ?, ?)");
    const pruneKey = this.db.prepare<[string, number]>("DELETE FROM throttle_events WHERE key = ? AND expires <= ?");
    const sweep = this.db.prepare<[number]>("DELETE FROM throttle_events WHERE expires <= ?");
    this.write = this.db.transaction((key: string, at: number, expires: number, now: number, sweepAll: boolean) => {
      pruneKey.run(key, now);
      insertEvent.run(key, at, expires);
      if (sweepAll) sweep.run(now);
    });
  }

  recent(key: string, since: number): Promise<readonly number[]> {
    return this.retry(() => this.recentEvents.all(key, since).map((row) => row.at));
  }

  async record(key: string, at: number, keepMs: number): Promise<void> {
    const now = this.now();
    const sweepAll = ++this.recorded % SWEEP_EVERY === 0;
    await this.retry(() => { this.write.immediate(key, at, at + keepMs, now, sweepAll); });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private retry<T>(operation: () => T): Promise<T> {
    return retryWhileBusy(operation, this.options.lockTimeoutMs);
  }
}
