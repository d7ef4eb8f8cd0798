import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../packages/server/src/app.js";
import { BcryptSha256Hasher } from "../../packages/server/src/auth/hasher.js";
import { DRF_TOKEN_POLICY, type TokenPolicy } from "../../packages/server/src/auth/token-policy.js";
import { TokenVault } from "../../packages/server/src/auth/tokens.js";
import type { AccountStore } from "../../packages/server/src/store/account-store.js";
import { openAccountStore } from "../helpers/database.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { post, registration, spawnServer, type ServerProcess } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Both token models on both databases: DRF's (one token per user, forever;
 * the default) and knox's (per-login, expiring, sliding, limited), through the
 * real app on a real database with an injected clock, and across two server
 * processes sharing one database.
 */

const HOUR = 3_600_000;
const T0 = Date.parse("2030-01-01T00:00:00.000Z");

interface Harness {
  url: string;
  store: AccountStore;
  vault: TokenVault;
  /** Moves the injected clock to T0 + `ms`. */
  at(ms: number): void;
  close(): Promise<void>;
}

type Where = () => Promise<{ where: { dataDir?: string; databaseUrl?: string }; remove: () => Promise<void> }>;

async function harness(where: Where, tokenPolicy: TokenPolicy): Promise<Harness> {
  const place = await where();
  const store = await openAccountStore(place.where);
  const vault = new TokenVault(randomBytes(32));
  let now = T0;
  const handle = createApp({
    store,
    hasher: new BcryptSha256Hasher(4),
    tokens: vault,
    clock: () => now,
    config: { tokenPolicy },
  }).callback();
  const server: Server = createServer((request, response) => void handle(request, response));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    store,
    vault,
    at: (ms) => (now = T0 + ms),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      await place.remove();
    },
  };
}

async function call(url: string, method: string, token: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method, headers: { authorization: `Token ${token}`, ...headers } });
  const text = await response.text();
  return { status: response.status, text, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

const login = (h: Harness, username: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  post(`${h.url}/account/login/`, { username, password: "s3cret-pw", ...extra }, headers);
const tokenOf = (answer: { body: unknown }) => (answer.body as { token: string }).token;

interface Listed {
  id: number;
  name: string;
  created: string;
  expiry: string | null;
  last_used: string | null;
  current: boolean;
}

function modelsOn(name: string, where: Where): void {
  describe(`token models on ${name}`, () => {
    it("by default (DRF): answers without expiry, the same token at every login, logout ends it", async () => {
      const h = await harness(where, DRF_TOKEN_POLICY);
      try {
        const registered = await post(`${h.url}/account/register/`, registration("ada"));
        assert.deepEqual(Object.keys(registered.body as object), ["response", "username", "email", "token"]);
        const token = tokenOf(registered);
        const again = await login(h, "ada", { name: "laptop" });
        assert.deepEqual(again.body, { token });
        h.at(10_000 * 24 * HOUR);
        assert.equal((await call(`${h.url}/account/me/`, "GET", token)).status, 200, "a DRF token never expires");
        const listed = (await call(`${h.url}/account/tokens/`, "GET", token)).body as Listed[];
        assert.equal(listed.length, 1);
        assert.deepEqual(
          [listed[0]?.expiry, listed[0]?.last_used, listed[0]?.current],
          [null, null, true],
          "DRF's model writes nothing on a token check",
        );
        assert.equal((await post(`${h.url}/account/logout/`, undefined, { authorization: `Token ${token}` })).status, 200);
        assert.deepEqual(await call(`${h.url}/account/me/`, "GET", token), {
          status: 401,
          text: '{"detail":"Invalid token."}',
          body: { detail: "Invalid token." },
        });
      } finally {
        await h.close();
      }
    });

    it("with a TTL: expiry in knox's format, an expired token answers as an unknown one and is deleted, login then issues a new one", async () => {
      const h = await harness(where, { ...DRF_TOKEN_POLICY, ttlMs: 10 * HOUR });
      try {
        const registered = await post(`${h.url}/account/register/`, registration("ada"));
        assert.deepEqual(registered.body, {
          response: "Registration Successful!",
          username: "ada",
          email: "ada@example.com",
          token: tokenOf(registered),
          expiry: "2030-01-01T10:00:00Z",
        });
        const token = tokenOf(registered);
        h.at(HOUR + 1);
        assert.deepEqual((await login(h, "ada")).body, { expiry: "2030-01-01T10:00:00Z", token }, "the same token until it expires");
        h.at(10 * HOUR - 1);
        assert.equal((await call(`${h.url}/account/me/`, "GET", token)).status, 200);
        h.at(10 * HOUR);
        assert.deepEqual(await call(`${h.url}/account/me/`, "GET", token), {
          status: 401,
          text: '{"detail":"Invalid token."}',
          body: { detail: "Invalid token." },
        });
        assert.equal(await h.store.findTokenByDigest(h.vault.digest(token)), undefined, "the expired token is gone");
        h.at(10 * HOUR + 1234);
        const fresh = await login(h, "ada");
        assert.notEqual(tokenOf(fresh), token);
        assert.deepEqual(fresh.body, { expiry: "2030-01-01T20:00:01.234000Z", token: tokenOf(fresh) });
        assert.equal((await call(`${h.url}/account/me/`, "GET", tokenOf(fresh))).status, 200);
      } finally {
        await h.close();
      }
    });

    it("with sliding refresh: a use pushes the expiry on at most once a minute, never past creation + the maximum", async () => {
      const h = await harness(where, { ...DRF_TOKEN_POLICY, ttlMs: HOUR, sliding: { maxTtlMs: 3 * HOUR } });
      try {
        const token = tokenOf(await post(`${h.url}/account/register/`, registration("ada")));
        const mine = async () => ((await call(`${h.url}/account/tokens/`, "GET", token)).body as Listed[])[0];
        h.at(30 * 60_000);
        const seen = await mine();
        assert.deepEqual([seen?.expiry, seen?.last_used], ["2030-01-01T01:30:00Z", "2030-01-01T00:30:00Z"]);
        h.at(30 * 60_000 + 59_999);
        assert.equal((await mine())?.last_used, "2030-01-01T00:30:00Z", "no write within the minute");
        h.at(80 * 60_000);
        assert.equal((await mine())?.expiry, "2030-01-01T02:20:00Z");
        for (const minutes of [130, 170]) {
          h.at(minutes * 60_000);
          assert.equal((await call(`${h.url}/account/me/`, "GET", token)).status, 200, `alive at ${minutes} min, kept so by its use`);
        }
        assert.equal((await mine())?.expiry, "2030-01-01T03:00:00Z", "capped at creation + AUTHCTL_TOKEN_MAX_TTL");
        h.at(3 * HOUR);
        assert.equal((await call(`${h.url}/account/me/`, "GET", token)).status, 401);
      } finally {
        await h.close();
      }
    });

    it("per login (knox): a token per device, named; listed without secrets; ended one at a time, past the limit 403, or all at once", async () => {
      const h = await harness(where, { ...DRF_TOKEN_POLICY, perLogin: true, limit: 3, ttlMs: 24 * HOUR });
      try {
        const first = tokenOf(await post(`${h.url}/account/register/`, registration("ada"), { "user-agent": "curl/8.5.0" }));
        const laptop = tokenOf(await login(h, "ada", { name: " laptop\u0007 " }));
        h.at(HOUR);
        const phone = tokenOf(await login(h, "ada", {}, { "user-agent": `phone ${"x".repeat(200)}` }));
        assert.equal(new Set([first, laptop, phone]).size, 3);
        h.at(2 * HOUR);
        const refused = await login(h, "ada");
        assert.deepEqual([refused.status, refused.body], [403, { error: "Maximum amount of tokens allowed per user exceeded." }]);
        const listing = await call(`${h.url}/account/tokens/`, "GET", laptop);
        assert.equal(listing.status, 200);
        for (const secret of [first, laptop, phone].flatMap((key) => [key, h.vault.digest(key)]))
          assert.equal(listing.text.includes(secret), false);
        const listed = listing.body as Listed[];
        assert.deepEqual(
          listed.map((token) => [token.name, token.current, token.created, token.expiry]),
          [
            ["curl/8.5.0", false, "2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z"],
            ["laptop", true, "2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z"],
            [`phone ${"x".repeat(58)}`, false, "2030-01-01T01:00:00Z", "2030-01-02T01:00:00Z"],
          ],
        );
        assert.equal(listed[1]?.last_used, "2030-01-01T02:00:00Z");
        const phoneId = listed[2]?.id ?? 0;
        const other = tokenOf(await post(`${h.url}/account/register/`, registration("bob")));
        assert.deepEqual(await call(`${h.url}/account/tokens/${phoneId}/`, "DELETE", other), {
          status: 404,
          text: '{"detail":"Not found."}',
          body: { detail: "Not found." },
        });
        const unslashed = await fetch(`${h.url}/account/tokens/${phoneId}`, {
          method: "DELETE",
          redirect: "manual",
          headers: { authorization: `Token ${laptop}` },
        });
        assert.deepEqual(
          [unslashed.status, unslashed.headers.get("location")],
          [301, `/account/tokens/${phoneId}/`],
          "APPEND_SLASH, as Django answers a path it knows once slashed",
        );
        assert.equal((await call(`${h.url}/account/me/`, "GET", phone)).status, 200, "the redirect deleted nothing");
        assert.equal(
          (await fetch(`${h.url}/account/tokens/x`, { method: "DELETE", redirect: "manual" })).status,
          404,
          "no view answers tokens/x/, so no redirect",
        );
        assert.equal((await call(`${h.url}/account/tokens/${phoneId}/`, "DELETE", laptop)).status, 204);
        assert.equal((await call(`${h.url}/account/me/`, "GET", phone)).status, 401);
        assert.equal((await call(`${h.url}/account/tokens/${phoneId}/`, "DELETE", laptop)).status, 404);
        assert.equal((await call(`${h.url}/account/tokens/x/`, "DELETE", laptop)).status, 404);
        assert.equal((await login(h, "ada")).status, 200, "ending a device makes room under the limit");
        assert.equal((await post(`${h.url}/account/logout/`, undefined, { authorization: `Token ${laptop}` })).status, 200);
        assert.equal((await call(`${h.url}/account/me/`, "GET", laptop)).status, 401, "logout ends the token presented");
        assert.equal((await call(`${h.url}/account/me/`, "GET", first)).status, 200, "and only that one");
        assert.deepEqual(await call(`${h.url}/account/logout/all/`, "POST", first), { status: 204, text: "", body: undefined });
        assert.equal((await call(`${h.url}/account/me/`, "GET", first)).status, 401);
        assert.equal((await call(`${h.url}/account/me/`, "GET", other)).status, 200, "another user's tokens are untouched");
        assert.equal((await h.store.listTokens(1, new Date(T0).toISOString())).length, 0);
      } finally {
        await h.close();
      }
    });

    it("with a TTL, a login deletes expired tokens in the background", async () => {
      const h = await harness(where, { ...DRF_TOKEN_POLICY, perLogin: true, ttlMs: HOUR });
      try {
        await post(`${h.url}/account/register/`, registration("ada"));
        await login(h, "ada");
        h.at(2 * HOUR);
        await login(h, "ada");
        await waitFor("the expired tokens pruned", async () => (await h.store.countTokens()) === 1);
      } finally {
        await h.close();
      }
    });
  });
}

let cluster: PostgresCluster | undefined;
before(async () => {
  cluster = await startPostgres();
});
after(async () => {
  await cluster?.stop();
});

modelsOn("SQLite", async () => {
  const dir = await tempDir();
  return { where: { dataDir: dir.path }, remove: dir.remove };
});
modelsOn("PostgreSQL", async () => {
  assert.ok(cluster);
  return { where: { databaseUrl: await cluster.createDatabase() }, remove: () => Promise.resolve() };
});

for (const name of ["SQLite", "PostgreSQL"] as const) {
  describe(`two server processes on one ${name} database, per-login tokens`, () => {
    it("a token revoked on one is refused by the other at once, and logout/all on one ends every device on both", async () => {
      const dir = await tempDir();
      assert.ok(cluster);
      const env = {
        AUTHCTL_DATA_DIR: dir.path,
        AUTHCTL_SECRET_KEY: randomBytes(32).toString("hex"),
        AUTHCTL_WORKERS: "1",
        AUTHCTL_TOKENS: "per-login",
        AUTHCTL_TOKEN_TTL: "10h",
        ...(name === "PostgreSQL" ? { AUTHCTL_DATABASE_URL: await cluster.createDatabase() } : {}),
      };
      const servers: ServerProcess[] = [];
      try {
        servers.push(await spawnServer(env));
        servers.push(await spawnServer(env));
        const [one, two] = servers.map((server) => server.url) as [string, string];
        const registered = await post(`${one}/account/register/`, registration("ada"));
        assert.match((registered.body as { expiry: string }).expiry, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/);
        const laptop = tokenOf(await post(`${two}/account/login/`, { username: "ada", password: "s3cret-pw", name: "laptop" }));
        const phone = tokenOf(registered);
        const listed = (await call(`${one}/account/tokens/`, "GET", phone)).body as Listed[];
        const laptopId = listed.find((token) => token.name === "laptop")?.id;
        assert.equal((await call(`${two}/account/tokens/${laptopId}/`, "DELETE", phone)).status, 204);
        assert.equal((await call(`${one}/account/me/`, "GET", laptop)).status, 401);
        assert.equal((await call(`${one}/account/me/`, "GET", phone)).status, 200);
        const desk = tokenOf(await post(`${one}/account/login/`, { username: "ada", password: "s3cret-pw" }));
        assert.equal((await call(`${two}/account/logout/all/`, "POST", desk)).status, 204);
        for (const url of [one, two])
          for (const token of [phone, desk]) assert.equal((await call(`${url}/account/me/`, "GET", token)).status, 401);
        for (const server of servers)
          for (const key of [phone, laptop, desk]) assert.equal(server.output().includes(key), false, "no token in the log");
      } finally {
        for (const server of servers) assert.equal(await server.stop(), 0);
        await dir.remove();
      }
    });
  });
}
