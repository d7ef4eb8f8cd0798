import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PostgresStore } from "../../packages/server/src/store/postgres-store.js";
import type { ThrottleEvent, ThrottleState } from "../../packages/server/src/throttle/throttle-state.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { peek } from "../helpers/throttle.js";

const event = (key: string, at: number, keepMs = 60_000): ThrottleEvent => ({ key, at, expires: at + keepMs });

/** Admits one event under each of `keys` while the first has fewer than `limit` live ones. */
const takeOne = (state: ThrottleState, keys: readonly string[], now: number, limit: number) =>
  state.admit(keys, now, (histories) => {
    const admitted = (histories.get(keys[0] ?? "")?.length ?? 0) < limit;
    return { verdict: admitted, record: admitted ? keys.map((key) => event(key, now)) : [] };
  });

describe("PostgresThrottleState on one database shared by two instances", () => {
  let cluster: PostgresCluster;
  let stores: PostgresStore[] = [];
  let states: ThrottleState[] = [];

  before(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase();
    stores = await Promise.all([PostgresStore.open({ url }), PostgresStore.open({ url })]);
    states = stores.map((store) => store.throttleState());
  });
  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await cluster.stop();
  });
  const state = (i: number) => {
    const chosen = states[i % states.length];
    assert.ok(chosen);
    return chosen;
  };

  it("admits exactly the limit of 100 concurrent checks spread over both instances' pools", async (t) => {
    const now = Date.now();
    const verdicts = await Promise.all(Array.from({ length: 100 }, (_, i) => takeOne(state(i), ["login-username:ada"], now, 10)));
    t.diagnostic(`100 concurrent admissions over 2 pools (20 connections), limit 10: ${verdicts.filter(Boolean).length} admitted`);
    assert.equal(verdicts.filter(Boolean).length, 10);
    assert.equal((await peek(state(0), ["login-username:ada"], now)).get("login-username:ada")?.length, 10);
  });

  it("does not deadlock when admissions lock overlapping keys named in opposite orders", async () => {
    const now = Date.now();
    const keys = ["login-username:x", "login-address:y", "login-known:z"];
    const verdicts = await Promise.all(
      Array.from({ length: 60 }, (_, i) => takeOne(state(i), i % 2 ? keys : [...keys].reverse(), now, 1000)),
    );
    assert.equal(verdicts.filter(Boolean).length, 60);
  });

  it("settles in one statement: forgets one matching event each and replaces a key's events", async () => {
    const now = Date.now();
    await takeOne(state(0), ["p"], now, 5);
    await takeOne(state(1), ["p"], now, 5);
    await state(0).settle([], [event("m", now - 5)]);
    await state(1).settle([event("p", now), event("p", now + 1)], [event("m", now)]);
    assert.deepEqual(await peek(state(0), ["p", "m"], now), new Map([["p", [now]], ["m", [now]]]));
  });
});
