import assert from "node:assert/strict";
import { join } from "node:path";
import { it } from "node:test";
import { SqliteStore } from "../../packages/server/src/store/sqlite-store.js";
import { SqliteThrottleState } from "../../packages/server/src/throttle/sqlite-throttle-state.js";
import type { ThrottleEvent, ThrottleState } from "../../packages/server/src/throttle/throttle-state.js";
import { tempDir } from "../helpers/temp.js";
import { peek } from "../helpers/throttle.js";

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

const event = (key: string, at: number, keepMs = 60_000): ThrottleEvent => ({ key, at, expires: at + keepMs });

/** Admits an event under `key` while it has fewer than `limit` live ones. */
const takeOne = (state: ThrottleState, key: string, now: number, limit: number) =>
  state.admit([key], now, (histories) => {
    const admitted = (histories.get(key)?.length ?? 0) < limit;
    return { verdict: admitted, record: admitted ? [event(key, now)] : [] };
  });

it("two states on one database (two worker processes) check and record against each other's events", async () => {
  await withDatabase(async (path) => {
    const a = new SqliteThrottleState(path, { lockTimeoutMs: 1000 });
    const b = new SqliteThrottleState(path, { lockTimeoutMs: 1000 });
    try {
      const now = 1_000_000;
      const verdicts = await Promise.all(Array.from({ length: 20 }, (_, i) => takeOne(i % 2 ? a : b, "login-username:ada", now + i, 3)));
      assert.deepEqual(verdicts.filter(Boolean).length, 3);
      assert.deepEqual(await peek(b, ["login-username:ada", "login-username:grace"], now + 100), new Map([["login-username:ada", [now, now + 1, now + 2]]]));
      await a.settle([event("login-username:ada", now + 1)], [event("login-known:ada", now, 5000)]);
      assert.deepEqual(
        await peek(b, ["login-username:ada", "login-known:ada"], now + 100),
        new Map([["login-username:ada", [now, now + 2]], ["login-known:ada", [now]]]),
        "one event forgotten, the known mark set",
      );
      await b.settle([], [event("login-known:ada", now + 50, 5000)]);
      assert.deepEqual(await peek(a, ["login-known:ada"], now + 100), new Map([["login-known:ada", [now + 50]]]), "the mark replaced, not added to");
    } finally {
      a.close();
      b.close();
    }
  });
});

it("forgets events once they expire, and keeps them across a reopen", async () => {
  await withDatabase(async (path) => {
    const clock = 1_000_000;
    const first = new SqliteThrottleState(path, { lockTimeoutMs: 1000 });
    assert.equal(await takeOne(first, "k", clock, 5), true);
    first.close();
    const second = new SqliteThrottleState(path, { lockTimeoutMs: 1000 });
    try {
      assert.deepEqual(await peek(second, ["k"], clock + 59_999), new Map([["k", [clock]]]));
      assert.deepEqual(await peek(second, ["k"], clock + 60_000), new Map(), "expired at its expiry");
      assert.equal(await takeOne(second, "k", clock + 120_000, 5), true);
      assert.deepEqual(await peek(second, ["k"], 0), new Map([["k", [clock + 120_000]]]), "the expired event was pruned when the key was written");
    } finally {
      second.close();
    }
  });
});
