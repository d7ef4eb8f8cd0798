import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Throttled } from "../../packages/server/src/errors.js";
import { parseRate } from "../../packages/server/src/throttle/rate.js";
import { Throttle } from "../../packages/server/src/throttle/throttle.js";
import { MemoryThrottleState } from "../../packages/server/src/throttle/throttle-state.js";

describe("rates in DRF's syntax", () => {
  it("reads num/period by the period's first letter, and off", () => {
    assert.deepEqual(parseRate("100/hour", "X"), { limit: 100, windowMs: 3_600_000 });
    assert.deepEqual(parseRate("5/s", "X"), { limit: 5, windowMs: 1000 });
    assert.deepEqual(parseRate(" 20/Minute ", "X"), { limit: 20, windowMs: 60_000 });
    assert.deepEqual(parseRate("1/day", "X"), { limit: 1, windowMs: 86_400_000 });
    assert.equal(parseRate("off", "X"), undefined);
  });

  it("names the variable for anything else", () => {
    for (const bad of ["100", "/hour", "0/hour", "1.5/hour", "10/week", "ten/hour", ""]) {
      assert.throws(() => parseRate(bad, "AUTHCTL_THROTTLE_LOGIN_USERNAME"), /^Error: AUTHCTL_THROTTLE_LOGIN_USERNAME must be a rate like 100\/hour/, bad);
    }
  });
});

describe("Throttle (DRF's sliding window)", () => {
  const clock = (start = 1_000_000) => {
    const now = { value: start };
    return { now, read: () => now.value };
  };

  it("lets the limit through, then says how long until the oldest event leaves the window", async () => {
    const { now, read } = clock();
    const throttle = new Throttle("t", { limit: 3, windowMs: 60_000 }, new MemoryThrottleState(), read);
    for (let i = 0; i < 3; i++) {
      assert.equal(await throttle.wait("k"), undefined);
      await throttle.record("k");
      now.value += 10_000;
    }
    assert.equal(await throttle.wait("k"), 30);
    assert.equal(await throttle.wait("other"), undefined, "other keys are unaffected");
    now.value += 29_500;
    assert.equal(await throttle.wait("k"), 1);
    now.value += 500;
    assert.equal(await throttle.wait("k"), undefined);
  });

  it("counts events recorded past the limit by concurrent requests", async () => {
    const { now, read } = clock();
    const throttle = new Throttle("t", { limit: 2, windowMs: 100_000 }, new MemoryThrottleState(), read);
    for (const step of [0, 10_000, 10_000, 10_000]) {
      now.value += step;
      await throttle.record("k");
    }
    // Four events at 0, 10, 20, 30 s: for fewer than two to remain, three must age out, the third at 120 s.
    assert.equal(await throttle.wait("k"), 90);
  });

  it("words the answer like DRF, singular for one second", () => {
    assert.deepEqual(new Throttled(1).body, { detail: "Request was throttled. Expected available in 1 second." });
    assert.deepEqual(new Throttled(42).body, { detail: "Request was throttled. Expected available in 42 seconds." });
    assert.deepEqual(new Throttled(42).headers, { "Retry-After": "42" });
  });
});

describe("MemoryThrottleState", () => {
  it("forgets the least recently touched keys beyond its bound", async () => {
    const state = new MemoryThrottleState(3);
    for (const key of ["a", "b", "c"]) await state.record(key, 1, 1000);
    await state.record("a", 2, 1000);
    await state.record("d", 3, 1000);
    assert.deepEqual(await state.recent("b", 0), [], "b was touched least recently");
    assert.deepEqual(await state.recent("a", 0), [1, 2]);
    assert.deepEqual(await state.recent("d", 0), [3]);
  });

  it("prunes events older than the window", async () => {
    const state = new MemoryThrottleState();
    for (const at of [1, 2, 3, 4]) await state.record("k", at, 1000);
    assert.deepEqual(await state.recent("k", 2), [3, 4]);
  });
});
