import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { describe, it } from "node:test";
import { loadConfig } from "../../packages/server/src/config.js";
import { MAX_REQUESTS_PER_SOCKET } from "../../packages/server/src/server.js";
import { spawnServer } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";
import { ConnectionGuard, type ConnectionLimits } from "../../packages/server/src/http/connection-guard.js";
import { waitFor } from "../helpers/wait.js";

/** A server answering "ok" (after `hold` resolves, if given), watched by a guard with `limits`. */
async function guarded(limits: ConnectionLimits, hold?: () => Promise<void>) {
  const server: Server = createServer((_request, response) => {
    void (hold?.() ?? Promise.resolve()).then(() => {
      response.end("ok");
    });
  });
  const guard = new ConnectionGuard(limits).attach(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const sockets: Socket[] = [];
  const open = async (localAddress = "127.0.0.1") => {
    const socket = connect({ port, host: "127.0.0.1", localAddress });
    socket.on("error", () => {});
    sockets.push(socket);
    await once(socket, "connect");
    return socket;
  };
  return {
    server,
    guard,
    open,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Sends a GET on `socket` and resolves with the whole answer (the body is "ok"). */
function ask(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = "";
    const onData = (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.endsWith("\r\n\r\nok")) {
        socket.off("data", onData);
        socket.off("close", onClose);
        resolve(reply);
      }
    };
    const onClose = () => {
      reject(new Error(`closed before an answer: ${JSON.stringify(reply)}`));
    };
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  });
}

/** Resolves with whatever the socket received once it is closed; it must flow to see the peer's end. */
function closed(socket: Socket): Promise<string> {
  let received = "";
  socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
  if (socket.closed) return Promise.resolve(received);
  const done = new Promise<string>((resolve) =>
    socket.once("close", () => {
      resolve(received);
    }),
  );
  socket.resume();
  return done;
}

describe("ConnectionGuard", () => {
  it("closes a connection over the process cap at once when every connection is busy or silent", async () => {
    const server = await guarded({ maxConnections: 3, maxPerAddress: 100 });
    try {
      const silent = [await server.open(), await server.open(), await server.open()];
      await waitFor("3 connections counted", () => server.guard.size === 3);
      const extra = await server.open();
      extra.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(await closed(extra), "", "the connection over the cap got no answer");
      assert.ok(
        silent.every((socket) => !socket.closed),
        "the connections within the cap stay open",
      );
      assert.equal(server.guard.size, 3);
    } finally {
      server.close();
    }
  });

  it("at the cap, closes the connection idle longest to admit a new client", async () => {
    const server = await guarded({ maxConnections: 3, maxPerAddress: 100 });
    try {
      const kept = [await server.open(), await server.open(), await server.open()];
      for (const socket of kept) assert.match(await ask(socket), /^HTTP\/1\.1 200 OK/);
      const [oldest, ...others] = kept;
      assert.ok(oldest);
      const newcomer = await server.open();
      assert.match(await ask(newcomer), /^HTTP\/1\.1 200 OK/);
      await closed(oldest);
      assert.ok(
        others.every((socket) => !socket.closed),
        "only the longest idle was reclaimed",
      );
    } finally {
      server.close();
    }
  });

  it("closes a connection over one address's limit at once while other addresses are served", async () => {
    const server = await guarded({ maxConnections: 100, maxPerAddress: 2 });
    try {
      const held = [await server.open("127.0.0.2"), await server.open("127.0.0.2")];
      await waitFor("2 connections counted", () => server.guard.size === 2);
      const third = await server.open("127.0.0.2");
      third.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(await closed(third), "");
      assert.match(await ask(await server.open("127.0.0.3")), /^HTTP\/1\.1 200 OK/);
      assert.ok(held.every((socket) => !socket.closed));
    } finally {
      server.close();
    }
  });

  it("drains: idle connections close, a request in flight finishes with Connection: close, then its connection closes", async () => {
    let release = () => {};
    let holding = false;
    let inFlight = false;
    const server = await guarded({ maxConnections: 100, maxPerAddress: 100 }, () => {
      if (!holding) return Promise.resolve();
      inFlight = true;
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    try {
      const idle = await server.open();
      assert.match(await ask(idle), /Connection: keep-alive/i);
      holding = true;
      const busy = await server.open();
      const answer = ask(busy);
      await waitFor("the request in flight", () => inFlight);
      const idleClosed = closed(idle);
      server.server.close();
      server.guard.drain();
      await idleClosed;
      release();
      const reply = await answer;
      assert.match(reply, /^HTTP\/1\.1 200 OK/);
      assert.match(reply, /Connection: close/i);
      await closed(busy);
    } finally {
      server.close();
    }
  });

  it("drains: a connection that has sent nothing closes too", async () => {
    const server = await guarded({ maxConnections: 100, maxPerAddress: 100 });
    try {
      const silent = await server.open();
      await waitFor("the connection counted", () => server.guard.size === 1);
      server.guard.drain();
      assert.equal(await closed(silent), "");
    } finally {
      server.close();
    }
  });

  it("drains: a request sent on a just-answered connection is answered with Connection: close, not reset", async () => {
    const server = await guarded({ maxConnections: 100, maxPerAddress: 100 });
    try {
      const socket = await server.open();
      assert.match(await ask(socket), /Connection: keep-alive/i);
      server.guard.drain();
      const reply = await ask(socket);
      assert.match(reply, /^HTTP\/1\.1 200 OK/);
      assert.match(reply, /Connection: close/i);
      await closed(socket);
    } finally {
      server.close();
    }
  });
});

it("reads AUTHCTL_MAX_CONNECTIONS_PER_ADDRESS, 256 by default, and refuses 0", () => {
  assert.equal(loadConfig({}).maxConnectionsPerAddress, 256);
  assert.equal(loadConfig({ AUTHCTL_MAX_CONNECTIONS_PER_ADDRESS: "8" }).maxConnectionsPerAddress, 8);
  assert.throws(
    () => loadConfig({ AUTHCTL_MAX_CONNECTIONS_PER_ADDRESS: "0" }),
    /AUTHCTL_MAX_CONNECTIONS_PER_ADDRESS must be a whole number from 1/,
  );
});

it("answers a connection's 1 000th request with Connection: close and ends it", async () => {
  const dir = await tempDir();
  const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_WORKERS: "1" });
  try {
    const socket = connect(Number(new URL(server.url).port), "127.0.0.1");
    socket.on("error", () => {});
    await once(socket, "connect");
    // Pipelined: the server answers them in order and closes after the last it serves.
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(MAX_REQUESTS_PER_SOCKET + 5));
    const received = await closed(socket);
    const heads = received.match(/HTTP\/1\.1 [^]*?\r\n\r\n/g) ?? [];
    const served = heads.slice(0, MAX_REQUESTS_PER_SOCKET);
    assert.ok(served.slice(0, -1).every((head) => /^HTTP\/1\.1 200 [^]*Connection: keep-alive/i.test(head)));
    assert.match(served.at(-1) ?? "", /^HTTP\/1\.1 200 [^]*Connection: close/i);
    // Node answers what was pipelined past the last with 503.
    assert.ok(heads.slice(MAX_REQUESTS_PER_SOCKET).every((head) => head.startsWith("HTTP/1.1 503")));
  } finally {
    await server.stop();
    await dir.remove();
  }
});
