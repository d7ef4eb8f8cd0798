import assert from "node:assert/strict";
import { join } from "node:path";
import { it } from "node:test";
import { SqliteStore } from "../../packages/server/src/store/sqlite-store.js";
import { Throttle } from "../../packages/server/src/throttle/throttle.js";
import { SqliteThrottleState } from "../../packages/server/src/throttle/sqlite-throttle-state.js";
import { tempDir } from "../helpers/temp.js";

async function withDatabase(run: (path: string) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  const path = join(dir.path, "db.sqlite3");
  const store = new SqliteStore(path);
  try {
    await run(path);
  } finally {
    await store.close();
    await dir.remove();
  }
}

it("two states on one database (two worker processes) see each other's events", async () => {
  await withDatabase(async (path) => {
    const now = () => 1_000_000;
    const a = new SqliteThrottleState(path, { lockTimeoutMs: 1000, now });
    const b = new SqliteThrottleState(path, { lockTimeoutMs: 1000, now });
    try {
      const rate = { limit: 3, windowMs: 60_000 };
      const throttleA = new Throttle("login-username", rate, a, now);
      const throttleB = new Throttle("login-username", rate, b, now);
      await throttleA.record("ada");
      await throttleB.record("ada");
      assert.equal(await throttleA.wait("ada"), undefined);
      await throttleA.record("ada");
      assert.equal(await throttleB.wait("ada"), 60);
      assert.equal(await throttleB.wait("grace"), undefined, "other keys are unaffected");
    } finally {
      a.close();
      b.close();
    }
  });
});

it("forgets events once their window has passed, and keeps them across a reopen", async () => {
  await withDatabase(async (path) => {
    let clock = 1_000_000;
    const first = new SqliteThrottleState(path, { lockTimeoutMs: 1000, now: () => clock });
    await first.record("k", clock, 1000);
    first.close();
    const second = new SqliteThrottleState(path, { lockTimeoutMs: 1000, now: () => clock });
    try {
      assert.deepEqual(await second.recent("k", clock - 1000), [1_000_000]);
      clock += 5000;
      await second.record("k", clock, 1000);
      assert.deepEqual(await second.recent("k", 0), [1_005_000], "the expired event was pruned when the key was touched");
    } finally {
      second.close();
    }
  });
});
