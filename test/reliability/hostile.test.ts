import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { setTimeout } from "node:timers/promises";
import { describe, it } from "node:test";
import { tempDir } from "../helpers/temp.js";
import { client, median, serverOn, since } from "./support.js";

const BODY_BYTES = 1_000_000;
/** How often /healthz is asked during the flood: a sampling rate, not a wait for a state. */
const PROBE_INTERVAL_MS = 20;

/** Bodies built to hurt a parser or validator that is not linear: each just under the 1 MB limit. */
function adversarialBodies(): { kind: string; contentType: string; body: string }[] {
  const pad = (prefix: string, filler: string, suffix: string) =>
    prefix + filler.repeat(Math.floor((BODY_BYTES - prefix.length - suffix.length) / filler.length)) + suffix;
  return [
    { kind: "whitespace-padded username", contentType: "application/json", body: pad('{"username": "a', " ", 'a", "password": "x"}') },
    { kind: "deep nesting", contentType: "application/json", body: pad('{"username": ', "[", "") },
    { kind: "a megabyte of numbers", contentType: "application/json", body: pad('{"username": "u", "password": [', "1.5,", '0]}') },
    { kind: "a megabyte of form fields", contentType: "application/x-www-form-urlencoded", body: pad("", "a=b&", "username=u") },
    { kind: "an email of spaces", contentType: "application/json", body: pad('{"username":"u","password":"p","password2":"p","email":"a', " ", '@x.io"}') },
  ];
}

describe("hostile input sizes", () => {
  it("answers 100 concurrent 1 MB adversarial bodies in bounded time while /healthz stays fast", async (t) => {
    const dir = await tempDir();
    const server = await serverOn(dir.path, { AUTHCTL_THROTTLE: "off" });
    const flooder = client(server.url, 100);
    const probe = client(server.url, 1);
    try {
      const kinds = adversarialBodies();
      const start = performance.now();
      const durations: number[] = [];
      const progress = { done: false };
      const flood = Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const attack = kinds[i % kinds.length];
          assert.ok(attack);
          const { contentType, body, kind } = attack;
          const path = kind === "an email of spaces" ? "/account/register/" : "/account/login/";
          const sent = performance.now();
          const answer = await flooder.request(path, { body, headers: { "content-type": contentType } });
          durations.push(since(sent));
          assert.equal(answer.status, 400, `${kind}: ${answer.body.slice(0, 200)}`);
        }),
      ).finally(() => (progress.done = true));
      const health: number[] = [];
      while (!progress.done) {
        const asked = performance.now();
        const answer = await probe.request("/healthz", { method: "GET" });
        health.push(since(asked));
        assert.equal(answer.status, 200);
        await setTimeout(PROBE_INTERVAL_MS);
      }
      await flood;
      const total = since(start);
      const worstHealth = Math.max(...health);
      t.diagnostic(
        `100 × 1 MB adversarial bodies (${kinds.map((k) => k.kind).join(", ")}): all 400 in ${total} ms; ` +
          `slowest ${Math.max(...durations)} ms; /healthz ${health.length} probes, median ${median(health)} ms, worst ${worstHealth} ms`,
      );
      assert.ok(worstHealth < 5000, `/healthz stalled ${worstHealth} ms (goal: well under a second)`);
      assert.ok(total < 60_000, `the flood took ${total} ms`);
    } finally {
      await flooder.close();
      await probe.close();
      await server.stop();
      await dir.remove();
    }
  });

  it("refuses connections beyond the cap at once, keeps existing ones, and drops clients that never send headers", async (t) => {
    const dir = await tempDir();
    // The cap is per process: one worker, so every connection meets the same cap.
    const server = await serverOn(dir.path, { AUTHCTL_MAX_CONNECTIONS: "20", AUTHCTL_WORKERS: "1" });
    const { port } = new URL(server.url);
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const socket = connect(Number(port), "127.0.0.1");
        socket.on("error", () => {});
        await once(socket, "connect");
        idle.push(socket);
      }
      const started = performance.now();
      const extra = connect(Number(port), "127.0.0.1");
      extra.on("error", () => {});
      extra.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      let reply = "";
      extra.on("data", (chunk: Buffer) => (reply += chunk.toString()));
      await closed(extra);
      assert.equal(reply, "", "the connection beyond the cap got no answer");
      t.diagnostic(`connection 21 of a cap of 20 closed in ${since(started)} ms`);
      // An existing connection still works.
      const [first] = idle;
      assert.ok(first);
      first.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      const [chunk] = (await once(first, "data")) as [Buffer];
      assert.match(chunk.toString(), /^HTTP\/1\.1 200 OK/);
      // The others sent nothing: the headers timeout closes them.
      const waited = performance.now();
      await Promise.all(idle.slice(1).map(closed));
      t.diagnostic(`19 silent connections closed by the server after ${since(waited)} ms (headers timeout 10 s)`);
      const http = client(server.url);
      assert.equal((await http.request("/healthz", { method: "GET" })).status, 200, "new clients are served again");
      await http.close();
    } finally {
      for (const socket of idle) socket.destroy();
      await server.stop();
      await dir.remove();
    }
  });
});

/**
 * Resolves when the socket is closed, whether the peer ended it or reset it.
 * The socket must flow: a paused one never reads the peer's end, so never closes.
 */
function closed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  const done = new Promise<void>((resolve) => socket.once("close", () => { resolve(); }));
  socket.resume();
  return done;
}
