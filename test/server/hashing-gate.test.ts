import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { describe, it } from "node:test";
import { HashingGate } from "../../packages/server/src/auth/hashing-gate.js";
import { loadConfig } from "../../packages/server/src/config.js";
import { ClientGone, ServiceUnavailable } from "../../packages/server/src/errors.js";
import { clientGone } from "../../packages/server/src/http/client-gone.js";
import { waitFor } from "../helpers/wait.js";

/** A job the test finishes by hand, so the order of starts is the only thing observed. */
function deferred() {
  let finish = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { done, finish };
}

const present = (clientAddress: string) => ({ clientAddress, gone: () => new AbortController().signal });

/** Lets queued promise callbacks run: the gate hands a slot over in a microtask chain. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs jobs through `gate`, recording the order they start in; each job takes
 * `jobMs` on the test's clock, which only moves when a job ends.
 */
function harness(gate: HashingGate, clock: { now: number }, jobMs: number) {
  const started: string[] = [];
  const running: { name: string; finish: () => void }[] = [];
  const submit = (address: string, name: string) =>
    gate.run(present(address), async () => {
      started.push(name);
      const job = deferred();
      running.push({ name, finish: job.finish });
      await job.done;
      clock.now += jobMs;
    });
  const finishOldest = async () => {
    running.shift()?.finish();
    await settle();
  };
  return { started, submit, finishOldest };
}

describe("HashingGate", () => {
  it("gives one address alone every slot", async () => {
    const clock = { now: 0 };
    const gate = new HashingGate({ parallel: 2, maxWaitMs: 60_000, now: () => clock.now });
    const { started, submit, finishOldest } = harness(gate, clock, 10);
    const jobs = Array.from({ length: 6 }, (_, i) => submit("10.0.0.1", `a${i}`));
    await settle();
    assert.deepEqual(started, ["a0", "a1"], "both slots busy with the one address");
    for (let i = 0; i < 6; i++) await finishOldest();
    await Promise.all(jobs);
    assert.deepEqual(started, ["a0", "a1", "a2", "a3", "a4", "a5"]);
  });

  it("takes turns by address, so a flood delays another address by one job", async () => {
    const clock = { now: 0 };
    const gate = new HashingGate({ parallel: 1, maxWaitMs: 60_000, now: () => clock.now });
    const { started, submit, finishOldest } = harness(gate, clock, 10);
    const flood = Array.from({ length: 20 }, (_, i) => submit("10.0.0.1", `flood${i}`));
    await settle();
    const legit = submit("10.0.0.2", "legit");
    const other = submit("10.0.0.3", "other");
    await finishOldest();
    assert.deepEqual(started, ["flood0", "flood1"], "the flood's next job had queued first");
    await finishOldest();
    assert.deepEqual(started.slice(2), ["legit"]);
    await finishOldest();
    assert.deepEqual(started.slice(3), ["other"]);
    while (started.length < 22) await finishOldest();
    await finishOldest();
    await Promise.all([...flood, legit, other]);
  });

  it("refuses with 503 + Retry-After a job whose turn would come later than the bound at the measured job time", async () => {
    const clock = { now: 0 };
    const gate = new HashingGate({ parallel: 1, maxWaitMs: 100, now: () => clock.now });
    const { submit, finishOldest } = harness(gate, clock, 40);
    // Nothing is measured yet: nothing is refused.
    const first = submit("10.0.0.1", "measure");
    await settle();
    await finishOldest();
    await first;
    assert.equal(gate.expectedWaitMs("10.0.0.1"), 0, "a free slot means no wait");
    const running = submit("10.0.0.1", "running");
    await settle();
    // 40 ms a job: a waiter ahead of it or two are within 100 ms, the third is not.
    const queued = [submit("10.0.0.1", "q1"), submit("10.0.0.1", "q2")];
    assert.equal(gate.expectedWaitMs("10.0.0.1"), 120);
    await assert.rejects(submit("10.0.0.1", "q3"), (error: unknown) => {
      assert.ok(error instanceof ServiceUnavailable);
      assert.equal(error.status, 503);
      assert.equal(error.headers["Retry-After"], "1");
      return true;
    });
    // The same answer is given before a request spends anything else on it (a throttle's database write).
    assert.throws(
      () => {
        gate.assertRoom("10.0.0.1");
      },
      (error: unknown) => error instanceof ServiceUnavailable && error.status === 503,
    );
    // Another address is behind one of the flood's jobs only: admitted.
    assert.doesNotThrow(() => {
      gate.assertRoom("10.0.0.2");
    });
    assert.equal(gate.expectedWaitMs("10.0.0.2"), 80);
    const other = submit("10.0.0.2", "other");
    for (let i = 0; i < 4; i++) await finishOldest();
    await Promise.all([running, ...queued, other]);
  });

  it("drops a waiting job whose client has gone, and never runs it", async () => {
    const gate = new HashingGate({ parallel: 1, maxWaitMs: 60_000 });
    const blocker = deferred();
    const running = gate.run(present("10.0.0.1"), () => blocker.done);
    const leaving = new AbortController();
    let ran = false;
    const abandoned = gate.run({ clientAddress: "10.0.0.1", gone: () => leaving.signal }, () => {
      ran = true;
      return Promise.resolve();
    });
    const next = gate.run(present("10.0.0.2"), () => Promise.resolve("served"));
    leaving.abort();
    await assert.rejects(abandoned, ClientGone);
    blocker.finish();
    await running;
    assert.equal(await next, "served");
    assert.equal(ran, false);
  });
});

describe("clientGone with the gate over HTTP", () => {
  it("drops the hashing of requests whose connections closed while they waited", async () => {
    const gate = new HashingGate({ parallel: 1, maxWaitMs: 60_000 });
    const blocker = deferred();
    let arrived = 0;
    let hashed = 0;
    const dropped: unknown[] = [];
    const server: Server = createServer((request, response) => {
      const client = {
        clientAddress: request.socket.remoteAddress ?? "",
        gone: () => {
          arrived++;
          return clientGone(response);
        },
      };
      gate
        .run(client, async () => {
          hashed++;
          if (hashed === 1) await blocker.done;
        })
        .then(
          () => {
            response.end("hashed");
          },
          (error: unknown) => {
            dropped.push(error);
            response.destroy();
          },
        );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const send = () => {
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => {});
      socket.write("POST /account/login/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
      return socket;
    };
    const sockets: Socket[] = [];
    try {
      sockets.push(send());
      await waitFor("one request arrived", () => arrived === 1);
      const abandoned = Array.from({ length: 5 }, send);
      sockets.push(...abandoned);
      await waitFor("six requests arrived", () => arrived === 6);
      for (const socket of abandoned) socket.destroy();
      await waitFor("five dropped", () => dropped.length === 5);
      assert.ok(dropped.every((error) => error instanceof ClientGone));
      blocker.finish();
      const [first] = sockets;
      assert.ok(first);
      const [reply] = (await once(first, "data")) as [Buffer];
      assert.match(reply.toString(), /hashed$/);
      assert.equal(hashed, 1, "only the request whose client stayed was hashed");
    } finally {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      server.close();
    }
  });
});

it("reads AUTHCTL_HASH_MAX_WAIT_MS, 3 s by default, and refuses 0", () => {
  assert.equal(loadConfig({}).hashingMaxWaitMs, 3000);
  assert.equal(loadConfig({ AUTHCTL_HASH_MAX_WAIT_MS: "500" }).hashingMaxWaitMs, 500);
  assert.throws(() => loadConfig({ AUTHCTL_HASH_MAX_WAIT_MS: "0" }), /AUTHCTL_HASH_MAX_WAIT_MS must be a whole number from 1/);
});
