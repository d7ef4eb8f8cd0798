import assert from "node:assert/strict";
import { once } from "node:events";
import { request } from "node:http";
import { rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { childrenOf } from "../helpers/processes.js";
import { registration, spawnServer, type ServerProcess } from "../helpers/server.js";
import { tempDir, uniqueName } from "../helpers/temp.js";
import { waitFor } from "../helpers/wait.js";

/** A POST on a connection of its own, so the cluster hands each one to the next worker. */
function postFresh(url: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const outgoing = request(
      url,
      { method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) } },
      (response) => {
        response.resume();
        response.on("end", () => {
          resolve(response.statusCode ?? 0);
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end(text);
  });
}

async function withCluster(run: (server: ServerProcess) => Promise<void>, env: Record<string, string> = {}): Promise<void> {
  const dir = await tempDir();
  const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_WORKERS: "2", ...env });
  try {
    await run(server);
  } finally {
    await server.stop();
    await dir.remove();
  }
}

describe("AUTHCTL_WORKERS=2", () => {
  it("runs two worker processes on one port, both serving", async () => {
    await withCluster(async (server) => {
      assert.match(server.output(), /listening on http:\/\/\S+ \(SQLite at \S+\/authctl\.sqlite3, 2 workers\)/);
      assert.equal(childrenOf(server.child.pid).length, 2);
      const statuses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postFresh(`${server.url}/account/register/`, registration(uniqueName(`w${i}`)))),
      );
      assert.deepEqual(statuses, Array(20).fill(201));
      const health = await fetch(`${server.url}/healthz`);
      assert.deepEqual(await health.json(), { status: "ok" });
    });
  });

  it("throttles the 101st failed login on one username though the attempts went to both workers", async () => {
    await withCluster(
      async (server) => {
        const username = uniqueName();
        assert.equal(await postFresh(`${server.url}/account/register/`, registration(username, "right-password")), 201);
        for (let i = 0; i < 100; i++) {
          assert.equal(await postFresh(`${server.url}/account/login/`, { username, password: "wrong" }), 400, `attempt ${i + 1}`);
        }
        assert.equal(await postFresh(`${server.url}/account/login/`, { username, password: "right-password" }), 429);
      },
      { AUTHCTL_THROTTLE_LOGIN_DELAY: "off" },
    ); // the progressive delay would refuse the 11th of these rapid attempts
  });

  it("restarts a worker killed with SIGKILL, logs it, and keeps serving", async () => {
    await withCluster(async (server) => {
      const [victim, survivor] = childrenOf(server.child.pid);
      assert.ok(victim !== undefined && survivor !== undefined);
      process.kill(victim, "SIGKILL");
      await waitFor(
        "the restart line",
        () => new RegExp(`worker ${victim} exited \\(signal SIGKILL\\); starting a new one`).exec(server.output()) ?? undefined,
      );
      const replacement = await waitFor("a new worker", () =>
        childrenOf(server.child.pid).find((pid) => pid !== survivor && pid !== victim),
      );
      assert.ok(replacement > 0);
      const statuses = await Promise.all(
        Array.from({ length: 10 }, () => postFresh(`${server.url}/account/register/`, registration(uniqueName("after")))),
      );
      assert.deepEqual(statuses, Array(10).fill(201));
    });
  });

  it("exits cleanly on SIGTERM, workers and all", async () => {
    const dir = await tempDir();
    const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_WORKERS: "2" });
    try {
      const workers = childrenOf(server.child.pid);
      assert.equal(workers.length, 2);
      assert.equal(await server.stop(), 0, server.output());
      assert.match(server.output(), /SIGTERM received: finishing in-flight requests\n(.*\n)*.*stopped\n/);
      for (const pid of workers) assert.throws(() => process.kill(pid, 0), { code: "ESRCH" }, `worker ${pid} still runs`);
    } finally {
      await server.stop();
      await dir.remove();
    }
  });

  it("finishes a request in flight when SIGTERM reaches the whole process group, as systemd sends it", async () => {
    const dir = await tempDir();
    const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_WORKERS: "2" }, [], { ownProcessGroup: true });
    try {
      const { port } = new URL(server.url);
      const body = JSON.stringify(registration(uniqueName("group")));
      const socket = connect(Number(port), "127.0.0.1");
      let received = "";
      socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
      socket.on("error", () => undefined); // a reset shows as a missing answer below
      // "100 Continue" says a worker has read the headers: the request is in flight.
      socket.write(
        `POST /account/register/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
      );
      await waitFor("100 Continue", () => (received.includes("100 Continue") ? true : undefined));
      process.kill(-(server.child.pid ?? 0), "SIGTERM");
      await waitFor("the primary's shutdown line", () => (server.output().includes("SIGTERM received") ? true : undefined));
      // write, not end: a client that half-closes may lose the answer on the way.
      socket.write(body);
      await once(socket, "close");
      assert.match(received, /HTTP\/1\.1 201 Created/, "the request in flight was cut off");
      const code = await server.closed;
      assert.equal(code, 0, server.output());
    } finally {
      await server.stop();
      await dir.remove();
    }
  });

  it("closes a connection over a full worker's cap at once instead of bouncing it between workers", async () => {
    await withCluster(
      async (server) => {
        const port = Number(new URL(server.url).port);
        const open = (request?: string) => {
          const socket = connect(port, "127.0.0.1");
          let received = "";
          socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
          socket.on("error", () => undefined);
          if (request !== undefined) socket.write(request);
          return { socket, received: () => received };
        };
        // Connections that send nothing: no worker may reclaim them (only idle keep-alive ones), and
        // the server closes them for silence only after its 10 s headers timeout.
        const silent: Socket[] = [];
        for (let i = 0; i < 8; i++) {
          const { socket } = open();
          await once(socket, "connect");
          silent.push(socket);
        }
        // Both workers are full (4 + 4) or have closed the silent ones over their cap already.
        const extras = Array.from({ length: 8 }, () => open("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        await waitFor("every extra connection closed", () => (extras.every(({ socket }) => socket.closed) ? true : undefined));
        const silentOpen = silent.filter((socket) => !socket.closed).length;
        const answered = extras.filter(({ received }) => received() !== "");
        assert.ok(
          silentOpen >= 4,
          `silent connections within the caps were closed (${silentOpen} open): the extras waited for the headers timeout`,
        );
        // An extra is answered only where a silent one was closed over its worker's cap.
        if (silentOpen === 8) assert.equal(answered.length, 0, "connections over both caps were served");
        for (const { received } of answered) assert.match(received(), /^HTTP\/1\.1 200 OK/);
        for (const socket of silent) socket.destroy();
      },
      { AUTHCTL_MAX_CONNECTIONS: "4" },
    );
  });

  it("logs why a replacement worker cannot start, and exits 1 when replacements keep failing", async () => {
    await withCluster(
      async (server) => {
        // A token sealed under the key, then the key gone: a worker starting now refuses to.
        assert.equal(await postFresh(`${server.url}/account/register/`, registration(uniqueName("k"))), 201);
        const dataDir = /SQLite at (\S+)\/authctl\.sqlite3,/.exec(server.output())?.[1];
        assert.ok(dataDir !== undefined, server.output());
        await rm(join(dataDir, "secret.key"));
        const [victim, survivor] = childrenOf(server.child.pid);
        assert.ok(victim !== undefined && survivor !== undefined);
        process.kill(victim, "SIGKILL");
        await waitFor(
          "the start-up error",
          () => /worker \d+ could not start: .*secret\.key\) is missing/.exec(server.output()) ?? undefined,
        );
        const code = await server.closed;
        assert.equal(code, 1, server.output());
        assert.match(server.output(), /error: 5 workers in a row failed to start/);
        assert.throws(() => process.kill(survivor, 0), { code: "ESRCH" }, "the worker still serving was stopped too");
      },
      { AUTHCTL_WORKERS: "2" },
    );
  });
});
