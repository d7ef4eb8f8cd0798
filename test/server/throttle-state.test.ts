import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Database } from "../../packages/server/src/store/database.js";
import { DatabaseThrottleState } from "../../packages/server/src/store/throttle-events.js";
import type { ThrottleEvent, ThrottleState } from "../../packages/server/src/throttle/throttle-state.js";
import { databaseConfig } from "../helpers/database.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";
import { peek } from "../helpers/throttle.js";

/**
 * The throttle history in the database, as two servers share it: two handles
 * on one SQLite file (two worker processes), two instances on one PostgreSQL
 * database. Check-and-record is one step on both.
 */
const event = (key: string, at: number, keepMs = 60_000): ThrottleEvent => ({ key, at, expires: at + keepMs });

/** Admits one event under each of `keys` while the first has fewer than `limit` live ones. */
const takeOne = (state: ThrottleState, keys: readonly string[], now: number, limit: number) =>
  state.admit(keys, now, (histories) => {
    const admitted = (histories.get(keys[0] ?? "")?.length ?? 0) < limit;
    return { verdict: admitted, record: admitted ? keys.map((key) => event(key, now)) : [] };
  });

let cluster: PostgresCluster;
before(async () => {
  cluster = await startPostgres();
});
after(async () => {
  await cluster.stop();
});

const places = {
  SQLite: async () => {
    const dir = await tempDir();
    return { where: { dataDir: dir.path }, remove: () => dir.remove() };
  },
  PostgreSQL: async () => ({ where: { databaseUrl: await cluster.createDatabase() }, remove: () => Promise.resolve() }),
};

for (const [name, place] of Object.entries(places)) {
  describe(`throttle history on ${name}, shared by two servers`, () => {
    let databases: Database[] = [];
    let remove: () => Promise<void>;
    const state = (i: number) => {
      const database = databases[i % databases.length];
      assert.ok(database);
      return new DatabaseThrottleState(database);
    };

    before(async () => {
      const at = await place();
      remove = at.remove;
      // As a server does: its main handle migrates, the relaxed throttle handles open after it.
      await (await Database.open(databaseConfig(at.where))).close();
      databases = await Promise.all([
        Database.open(databaseConfig(at.where), { relaxed: true }),
        Database.open(databaseConfig(at.where), { relaxed: true }),
      ]);
    });
    after(async () => {
      await Promise.all(databases.map((database) => database.close()));
      await remove();
    });

    it("admits exactly the limit of 100 concurrent checks spread over both", async (t) => {
      const now = 1_000_000;
      const verdicts = await Promise.all(Array.from({ length: 100 }, (_, i) => takeOne(state(i), ["login-username:ada"], now + i, 10)));
      t.diagnostic(`100 concurrent admissions over 2 servers, limit 10: ${verdicts.filter(Boolean).length} admitted`);
      assert.equal(verdicts.filter(Boolean).length, 10);
      assert.equal((await peek(state(1), ["login-username:ada", "login-username:grace"], now)).get("login-username:ada")?.length, 10);
    });

    it("does not deadlock when admissions lock overlapping keys named in opposite orders", async () => {
      const now = 2_000_000;
      const keys = ["login-username:x", "login-address:y", "login-known:z"];
      const verdicts = await Promise.all(
        Array.from({ length: 60 }, (_, i) => takeOne(state(i), i % 2 ? keys : [...keys].reverse(), now, 1000)),
      );
      assert.equal(verdicts.filter(Boolean).length, 60);
    });

    it("settles in one step: forgets one matching event each, and makes a key's event its only one", async () => {
      const now = 3_000_000;
      await takeOne(state(0), ["p"], now, 5);
      await takeOne(state(1), ["p"], now, 5);
      await state(0).settle([], [event("m", now - 5)]);
      await state(1).settle([event("p", now), event("p", now + 1)], [event("m", now)]);
      assert.deepEqual(
        await peek(state(0), ["p", "m"], now),
        new Map([
          ["p", [now]],
          ["m", [now]],
        ]),
      );
    });

    it("forgets events at their expiry, and prunes a key's expired events when it records", async () => {
      const now = 4_000_000;
      assert.equal(await takeOne(state(0), ["k"], now, 5), true);
      assert.deepEqual(await peek(state(1), ["k"], now + 59_999), new Map([["k", [now]]]));
      assert.deepEqual(await peek(state(1), ["k"], now + 60_000), new Map(), "expired at its expiry");
      assert.equal(await takeOne(state(1), ["k"], now + 120_000, 5), true);
      assert.deepEqual(
        await peek(state(0), ["k"], 0),
        new Map([["k", [now + 120_000]]]),
        "the expired event was pruned when the key was written",
      );
    });
  });
}
