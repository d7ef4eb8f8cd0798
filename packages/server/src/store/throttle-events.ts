import type { ThrottleState } from "../throttle/throttle-state.js";
import type { Database } from "./database.js";

/** Expired events of every key are swept once in this many records, so keys an attacker invents do not pile up. */
const SWEEP_EVERY = 1000;

/**
 * Throttle history in the server's database (table `throttle_events`), so
 * every worker process and every instance on it counts the same failed
 * logins, and the count survives a restart. A key's old events are dropped
 * when it is touched, in the same transaction as the new one.
 */
export class DatabaseThrottleState implements ThrottleState {
  private recorded = 0;

  constructor(
    private readonly database: Database,
    private readonly now: () => number = Date.now,
  ) {}

  recent(key: string, since: number): Promise<readonly number[]> {
    return this.database.run(async ({ db }) => {
      const rows = await db.selectFrom("throttle_events").select("at").where("key", "=", key).where("at", ">", since).orderBy("at").execute();
      return rows.map((row) => Number(row.at));
    });
  }

  async record(key: string, at: number, keepMs: number): Promise<void> {
    const now = this.now();
    const sweepAll = ++this.recorded % SWEEP_EVERY === 0;
    await this.database.transaction(async ({ db }) => {
      await db.deleteFrom("throttle_events").where("key", "=", key).where("expires", "<=", now).execute();
      await db.insertInto("throttle_events").values({ key, at, expires: at + keepMs }).execute();
      if (sweepAll) await db.deleteFrom("throttle_events").where("expires", "<=", now).execute();
    });
  }
}
