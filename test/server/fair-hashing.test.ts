import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { describe, it } from "node:test";
import { HashingGate } from "../../packages/server/src/auth/hashing-gate.js";
import { createApp, TokenVault, type Hasher } from "../../packages/server/src/index.js";
import { openAccountStore } from "../helpers/database.js";
import { tempDir } from "../helpers/temp.js";
import { waitFor } from "../helpers/wait.js";

/**
 * A hasher whose every computation waits until the test lets it finish, so the
 * order in which logins get to hash is all that is observed. Logins here are
 * for an unknown user: each spends one `burn`, named by its password.
 */
class HeldHasher implements Hasher {
  readonly started: string[] = [];
  private readonly held: (() => void)[] = [];

  burn(password: string): Promise<void> {
    this.started.push(password);
    return new Promise((resolve) => this.held.push(resolve));
  }

  /** Lets the oldest computation finish. */
  finishOne(): void {
    this.held.shift()?.();
  }

  hash(): Promise<string> {
    return Promise.reject(new Error("not used"));
  }

  verify(): Promise<boolean> {
    return Promise.reject(new Error("not used"));
  }

  needsRehash(): boolean {
    return false;
  }

  hardenRuntime(): Promise<void> {
    return Promise.resolve();
  }
}

/** The app on one hashing thread, trusting one proxy so X-Forwarded-For names the client. */
async function heldServer() {
  const dir = await tempDir();
  const store = await openAccountStore({ dataDir: dir.path });
  const hasher = new HeldHasher();
  const lines: string[] = [];
  const log = { info: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
  const hashing = new HashingGate({ parallel: 1, maxWaitMs: 60_000 });
  const app = createApp({
    store,
    hasher,
    tokens: new TokenVault(randomBytes(32)),
    config: { trustedProxies: 1, throttle: {} },
    log,
    hashing,
  });
  const handle = app.callback();
  const server = createServer((request, response) => void handle(request, response));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const sockets: Socket[] = [];
  return {
    hasher,
    hashing,
    lines,
    /** A login for an unknown user on a connection of its own; `password` names it in `hasher.started`. */
    login(address: string, password: string): Socket {
      const body = JSON.stringify({ username: "nobody", password });
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => {});
      socket.write(
        `POST /account/login/ HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ${address}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      sockets.push(socket);
      return socket;
    },
    /** Closes every connection, which drops the logins still waiting; held hashes are left unfinished. */
    async close() {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      await dir.remove();
    },
  };
}

describe("password hashing through the login route", () => {
  it("gives a login from another address the next turn, ahead of a flood from one address", async () => {
    const server = await heldServer();
    try {
      for (let i = 0; i < 10; i++) server.login("10.0.0.1", `flood${i}`);
      await waitFor("one flood login hashing, nine waiting", () => server.hasher.started.length === 1 && server.hashing.waiting === 9);
      server.login("10.0.0.2", "legit");
      await waitFor("the legitimate login waiting", () => server.hashing.waiting === 10);
      // Turns alternate between the addresses waiting: the flood's next, then 10.0.0.2.
      for (let turn = 2; turn <= 3; turn++) {
        server.hasher.finishOne();
        await waitFor(`hash ${turn}`, () => server.hasher.started.length === turn);
      }
      assert.deepEqual(server.hasher.started, ["flood0", "flood1", "legit"]);
    } finally {
      await server.close();
    }
  });

  it("never hashes a login whose client closed the connection while it waited", async () => {
    const server = await heldServer();
    try {
      server.login("10.0.0.1", "first");
      await waitFor("the first login hashing", () => server.hasher.started.length === 1);
      const abandoned = Array.from({ length: 5 }, (_, i) => server.login("10.0.0.1", `abandoned${i}`));
      await waitFor("the abandoned logins waiting", () => server.hashing.waiting === 5);
      for (const socket of abandoned) socket.destroy();
      await waitFor("5 dropped requests logged", () => server.lines.filter((line) => / 499 /.test(line)).length === 5);
      server.hasher.finishOne();
      server.login("10.0.0.1", "next");
      await waitFor("the next login hashing", () => server.hasher.started.length === 2);
      assert.deepEqual(server.hasher.started, ["first", "next"]);
    } finally {
      await server.close();
    }
  });
});
