import { historiesOf, type Decision, type Histories, type ThrottleEvent, type ThrottleState } from "../throttle/throttle-state.js";
import type { Database } from "./database.js";
import { deleteOneRow, lockKeys } from "./dialect.js";

/** Expired events of every key are swept once in this many admissions that record, so keys an attacker invents do not pile up. */
const SWEEP_EVERY = 1000;

/**
 * Throttle history in the server's database (table `throttle_events`), so
 * every worker process and every instance on it counts the same attempts, and
 * a restart does not reset them. `admit` is one transaction that first locks
 * its keys (SQLite: the write lock `BEGIN IMMEDIATE` takes; PostgreSQL: one
 * advisory lock per key), then reads and records, so concurrent checks cannot
 * pass on the same history; `settle` is one transaction too. The touched keys'
 * expired events are dropped as new ones are recorded.
 */
export class DatabaseThrottleState implements ThrottleState {
  private recorded = 0;

  constructor(private readonly database: Database) {}

  admit<T>(keys: readonly string[], now: number, decide: (histories: Histories) => Decision<T>): Promise<T> {
    return this.database.transaction(async (conn) => {
      await lockKeys(conn, keys);
      const rows =
        keys.length === 0
          ? []
          : await conn.db
              .selectFrom("throttle_events")
              .select(["key", "at"])
              .where("key", "in", keys)
              .where("expires", ">", now)
              .orderBy("at")
              .execute();
      const { verdict, record } = decide(historiesOf(rows.map((row) => ({ key: row.key, at: Number(row.at) }))));
      if (record.length > 0) {
        await conn.db
          .insertInto("throttle_events")
          .values(record.map(({ key, at, expires }) => ({ key, at, expires })))
          .execute();
        const expired = conn.db.deleteFrom("throttle_events").where("expires", "<=", now);
        const sweepAll = ++this.recorded % SWEEP_EVERY === 0 || keys.length === 0;
        await (sweepAll ? expired : expired.where("key", "in", keys)).execute();
      }
      return verdict;
    });
  }

  async settle(forget: readonly ThrottleEvent[], replace: readonly ThrottleEvent[]): Promise<void> {
    if (forget.length === 0 && replace.length === 0) return;
    await this.database.transaction(async (conn) => {
      for (const { key, at } of forget) await deleteOneRow(conn, key, at);
      if (replace.length === 0) return;
      await conn.db
        .deleteFrom("throttle_events")
        .where(
          "key",
          "in",
          replace.map((event) => event.key),
        )
        .execute();
      await conn.db
        .insertInto("throttle_events")
        .values(replace.map(({ key, at, expires }) => ({ key, at, expires })))
        .execute();
    });
  }
}
