import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Throttled } from "../../packages/server/src/errors.js";
import { parseDelayAfter, parseRate } from "../../packages/server/src/throttle/rate.js";
import { delayWait, RateThrottle, windowWait } from "../../packages/server/src/throttle/throttle.js";
import { LoginThrottle } from "../../packages/server/src/throttle/login-throttle.js";
import { MemoryThrottleState } from "../../packages/server/src/throttle/throttle-state.js";
import { peek } from "../helpers/throttle.js";

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
      assert.throws(
        () => parseRate(bad, "AUTHCTL_THROTTLE_LOGIN_USERNAME"),
        /^Error: AUTHCTL_THROTTLE_LOGIN_USERNAME must be a rate like 100\/hour/,
        bad,
      );
    }
  });
});

describe("windowWait (DRF's sliding window)", () => {
  const rate = { limit: 3, windowMs: 60_000 };

  it("lets the limit through, then says how long until the oldest event leaves the window", () => {
    const history = [0, 10_000, 20_000];
    assert.equal(windowWait(history.slice(0, 2), rate, 30_000), undefined);
    assert.equal(windowWait(history, rate, 30_000), 30);
    assert.equal(windowWait(history, rate, 59_500), 1);
    assert.equal(windowWait(history, rate, 60_000), undefined, "the first event has left the window");
  });

  it("counts events past the limit: the wait is until enough of them have aged out", () => {
    // Four events at 0, 10, 20, 30 s, limit 2: for fewer than two to remain, three must age out, the third at 120 s.
    assert.equal(windowWait([0, 10_000, 20_000, 30_000], { limit: 2, windowMs: 100_000 }, 30_000), 90);
  });

  it("words the answer like DRF, singular for one second", () => {
    assert.deepEqual(new Throttled(1).body, { detail: "Request was throttled. Expected available in 1 second." });
    assert.deepEqual(new Throttled(42).body, { detail: "Request was throttled. Expected available in 42 seconds." });
    assert.deepEqual(new Throttled(42).headers, { "Retry-After": "42" });
  });
});

describe("delayWait (the progressive delay)", () => {
  it("lets the first failures through at once, then doubles the wait from the last one, up to five minutes", () => {
    const failures = (n: number) => Array.from({ length: n }, (_, i) => i);
    assert.equal(delayWait(failures(2), 3, 1000), undefined);
    const last = (n: number) => n - 1;
    const waits = [3, 4, 5, 6, 11, 12, 20].map((n) => delayWait(failures(n), 3, last(n)));
    assert.deepEqual(waits, [1, 2, 4, 8, 256, 300, 300]);
    assert.equal(delayWait(failures(4), 3, last(4) + 1500), 1, "half a second left is one second");
    assert.equal(delayWait(failures(4), 3, last(4) + 2000), undefined);
  });

  it("reads a count of failures or off from the environment", () => {
    assert.equal(parseDelayAfter("10", "X"), 10);
    assert.equal(parseDelayAfter(" OFF ", "X"), undefined);
    for (const bad of ["", "-1", "1.5", "ten"])
      assert.throws(() => parseDelayAfter(bad, "AUTHCTL_THROTTLE_LOGIN_DELAY"), /^Error: AUTHCTL_THROTTLE_LOGIN_DELAY must be/, bad);
  });
});

describe("RateThrottle (registrations per address)", () => {
  it("counts an attempt only when it lets it through", async () => {
    const clock = { now: 1_000_000 };
    const throttle = new RateThrottle("t", { limit: 2, windowMs: 60_000 }, new MemoryThrottleState(), () => clock.now);
    assert.deepEqual([await throttle.take("k"), await throttle.take("k"), await throttle.take("k")], [undefined, undefined, 60]);
    clock.now += 60_000;
    assert.equal(await throttle.take("k"), undefined, "the refused attempt did not count");
    assert.equal(await throttle.take("other"), undefined, "other keys are unaffected");
  });
});

describe("MemoryThrottleState", () => {
  const event = (key: string, at: number, keepMs = 1000) => ({ key, at, expires: at + keepMs });
  const record = (state: MemoryThrottleState, ...events: ReturnType<typeof event>[]) =>
    state.admit([], 0, () => ({ verdict: undefined, record: events }));

  it("forgets the least recently written keys beyond its bound", async () => {
    const state = new MemoryThrottleState(3);
    await record(state, event("a", 1), event("b", 1), event("c", 1));
    await record(state, event("a", 2));
    await record(state, event("d", 3));
    assert.deepEqual(
      await peek(state, ["a", "b", "d"], 0),
      new Map([
        ["a", [1, 2]],
        ["d", [3]],
      ]),
      "b was written least recently",
    );
  });

  it("drops expired events", async () => {
    const state = new MemoryThrottleState();
    await record(state, event("k", 1), event("k", 2), event("k", 3), event("k", 4));
    assert.deepEqual(await peek(state, ["k"], 1002), new Map([["k", [3, 4]]]));
    assert.deepEqual(await peek(state, ["k"], 1004), new Map());
  });

  it("settles: forgets one event per match and replaces a key's events", async () => {
    const state = new MemoryThrottleState();
    await record(state, event("k", 5), event("k", 5), event("m", 1), event("m", 2));
    await state.settle([event("k", 5), event("k", 9)], [event("m", 7)]);
    assert.deepEqual(
      await peek(state, ["k", "m"], 0),
      new Map([
        ["k", [5]],
        ["m", [7]],
      ]),
    );
  });
});

describe("LoginThrottle", () => {
  const HOUR = 3_600_000;
  const policy = { perUsername: undefined, delayAfter: undefined, perAddress: { limit: 2, windowMs: HOUR }, knownForMs: 30 * 24 * HOUR };
  const admitted = async (throttle: LoginThrottle, outcome: "succeeded" | "failed" | "withdrawn") => {
    const admission = await throttle.admit("ada", "10.0.0.1");
    if (!admission.admitted) return admission.wait;
    if (outcome === "succeeded") await admission.attempt.succeeded();
    if (outcome === "withdrawn") await admission.attempt.withdraw();
    return "admitted";
  };

  it("exempts a known address from the per-address limit only where the account's own count stands in for it", async () => {
    const throttle = new LoginThrottle(policy, new MemoryThrottleState(), () => 1_000_000);
    assert.equal(await admitted(throttle, "succeeded"), "admitted");
    assert.equal(await admitted(throttle, "withdrawn"), "admitted");
    assert.deepEqual([await admitted(throttle, "failed"), await admitted(throttle, "failed")], ["admitted", "admitted"]);
    assert.equal(await admitted(throttle, "succeeded"), HOUR / 1000, "no per-username limit: the address limit holds for everyone");
    const counted = new LoginThrottle(
      { ...policy, perUsername: { limit: 100, windowMs: HOUR } },
      new MemoryThrottleState(),
      () => 1_000_000,
    );
    assert.equal(await admitted(counted, "succeeded"), "admitted");
    for (let i = 0; i < 3; i++)
      assert.equal(await admitted(counted, "failed"), "admitted", "the known address's failures are the account's to count");
  });
});
