import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { childrenOf } from "../helpers/processes.js";
import { registration, spawnServer, type ServerProcess } from "../helpers/server.js";
import { tempDir, uniqueName } from "../helpers/temp.js";
import { waitFor } from "../helpers/wait.js";

async function withServer(
  env: Record<string, string>,
  run: (server: ServerProcess) => Promise<void>,
  ownProcessGroup = false,
): Promise<void> {
  const dir = await tempDir();
  const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, ...env }, [], { ownProcessGroup });
  try {
    await run(server);
  } finally {
    await server.stop();
    await dir.remove();
  }
}

/** A raw connection that records everything it receives and whether it is closed. */
function rawConnection(url: string) {
  const socket: Socket = connect(Number(new URL(url).port), "127.0.0.1");
  let received = "";
  socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
  socket.on("error", () => undefined); // a reset shows as a missing answer
  return { socket, received: () => received, closed: () => socket.closed };
}

/**
 * A client asking /healthz over and over on one keep-alive connection: it
 * ends with "close" when an answer says `Connection: close`, or "cut" when
 * the connection closes with its request unanswered.
 */
function busyClient(url: string) {
  const socket = connect(Number(new URL(url).port), "127.0.0.1");
  let buffer = "";
  let answers = 0;
  const ended = new Promise<"close" | "cut">((resolve) => {
    const ask = () => socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    socket.on("connect", ask);
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      for (;;) {
        const head = buffer.indexOf("\r\n\r\n");
        if (head < 0) return;
        const headers = buffer.slice(0, head);
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(headers)?.[1] ?? 0);
        if (buffer.length < head + 4 + length) return;
        buffer = buffer.slice(head + 4 + length);
        answers++;
        if (/\r\nconnection: close/i.test(headers)) {
          resolve("close");
          return;
        }
        ask();
      }
    });
    socket.on("close", () => {
      resolve("cut");
    });
    socket.on("error", () => undefined);
  });
  return { ended, answers: () => answers };
}

for (const workers of ["1", "2"]) {
  describe(`shutdown with AUTHCTL_WORKERS=${workers}`, () => {
    it("on SIGTERM closes idle keep-alive connections, finishes the request in flight with Connection: close, then exits 0", async () => {
      await withServer({ AUTHCTL_WORKERS: workers }, async (server) => {
        const idle = rawConnection(server.url);
        idle.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        await waitFor("the idle connection's first answer", () => idle.received().includes("\r\n\r\n{"));
        assert.match(idle.received(), /Connection: keep-alive/i);
        const busy = rawConnection(server.url);
        const body = JSON.stringify(registration(uniqueName("drain")));
        // "100 Continue" says a worker has read the headers: the request is in flight.
        busy.socket.write(
          `POST /account/register/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
        );
        await waitFor("100 Continue", () => busy.received().includes("100 Continue"));
        server.child.kill("SIGTERM");
        await waitFor("the idle connection closed", idle.closed);
        busy.socket.write(body);
        await waitFor("the answer", () => busy.received().includes("Registration Successful"));
        assert.match(busy.received(), /HTTP\/1\.1 201 Created/);
        assert.match(busy.received(), /Connection: close/i, "a kept-alive connection is told it ends with this answer");
        await waitFor("the busy connection closed", busy.closed);
        const code = await server.closed;
        assert.equal(code, 0, server.output());
      });
    });

    it("under busy keep-alive traffic, ends every connection with a Connection: close answer and cuts no request", async () => {
      await withServer({ AUTHCTL_WORKERS: workers }, async (server) => {
        const clients = Array.from({ length: 20 }, () => busyClient(server.url));
        await waitFor("every client served a few times", () => clients.every((client) => client.answers() >= 5));
        server.child.kill("SIGTERM");
        const endings = await Promise.all(clients.map((client) => client.ended));
        assert.deepEqual(endings, Array(20).fill("close"));
        const code = await server.closed;
        assert.equal(code, 0, server.output());
      });
    });

    it("ignores SIGHUP with a log line and keeps serving", async () => {
      await withServer(
        { AUTHCTL_WORKERS: workers },
        async (server) => {
          const before = childrenOf(server.child.pid);
          // The whole group, as a terminal's hangup reaches it.
          process.kill(-(server.child.pid ?? 0), "SIGHUP");
          await waitFor("the SIGHUP line", () => server.output().includes("SIGHUP received: ignored"));
          const health = await fetch(`${server.url}/healthz`);
          assert.equal(health.status, 200);
          assert.deepEqual(childrenOf(server.child.pid).sort(), before.sort(), "the workers are the same");
          assert.equal(server.output().match(/SIGHUP received/g)?.length, 1, "logged once, by the primary");
        },
        true,
      );
    });
  });
}
