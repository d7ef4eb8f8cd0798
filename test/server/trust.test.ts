import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { BcryptSha256Hasher } from "../../packages/server/src/auth/hasher.js";
import { TokenVault } from "../../packages/server/src/auth/tokens.js";
import { DEFAULT_APP_CONFIG, type AppConfig } from "../../packages/server/src/app.js";
import { post, registration, startInProcess, type InProcessServer } from "../helpers/server.js";
import { uniqueName } from "../helpers/temp.js";

const BAD_CREDENTIALS = { non_field_errors: ["Unable to log in with provided credentials."] };
const HOUR = 3_600_000;

async function withServer(options: Parameters<typeof startInProcess>[0], work: (server: InProcessServer) => Promise<void>) {
  const server = await startInProcess(options);
  try {
    await work(server);
  } finally {
    await server.close();
  }
}

async function register(server: InProcessServer, username = uniqueName()): Promise<{ username: string; token: string }> {
  const answer = await post(`${server.url}/account/register/`, registration(username));
  assert.equal(answer.status, 201);
  return { username, token: (answer.body as { token: string }).token };
}

const login = (server: InProcessServer, username: string, password: string, headers: Record<string, string> = {}) =>
  post(`${server.url}/account/login/`, { username, password }, headers);

function formPost(url: string, body: string, contentType: string) {
  return fetch(url, { method: "POST", body, headers: { "content-type": contentType } });
}

describe("throttling failed logins (on by default)", () => {
  it("refuses the 101st attempt on one username even with the right password, and no other account", async () => {
    // Without the progressive delay, which would refuse the 11th of these rapid attempts (see login-throttle.test.ts).
    const throttle = { ...DEFAULT_APP_CONFIG.throttle, loginDelayAfter: undefined };
    await withServer({ config: { throttle } }, async (server) => {
      const victim = await register(server);
      const bystander = await register(server);
      for (let batch = 0; batch < 10; batch++) {
        const answers = await Promise.all(Array.from({ length: 10 }, () => login(server, victim.username, "wrong")));
        for (const answer of answers) assert.deepEqual([answer.status, answer.body], [400, BAD_CREDENTIALS]);
      }
      const refused = await login(server, victim.username, "s3cret-pw");
      assert.equal(refused.status, 429);
      assert.match((refused.body as { detail: string }).detail, /^Request was throttled\. Expected available in \d+ seconds\.$/);
      const wait = Number(refused.headers.get("retry-after"));
      assert.ok(wait > 3500 && wait <= 3600, `Retry-After ${wait}`);
      assert.equal((await login(server, bystander.username, "s3cret-pw")).status, 200);
      // Padding the name with the whitespace the serializer strips names the same account.
      assert.equal((await login(server, ` ${victim.username}\t`, "s3cret-pw")).status, 429);
    });
  });

  it("limits failed logins per client address, reading X-Forwarded-For only behind trusted proxies", async () => {
    const throttle = { loginPerAddress: { limit: 3, windowMs: HOUR } };
    await withServer({ config: { throttle } }, async (server) => {
      for (let i = 0; i < 3; i++) assert.equal((await login(server, uniqueName(), "x", { "x-forwarded-for": `10.0.0.${i}` })).status, 400);
      const answer = await login(server, uniqueName(), "x", { "x-forwarded-for": "10.9.9.9" });
      assert.equal(answer.status, 429, "a client cannot escape by writing X-Forwarded-For");
    });
    await withServer({ config: { throttle, trustedProxies: 1 } }, async (server) => {
      for (let i = 0; i < 3; i++) assert.equal((await login(server, uniqueName(), "x", { "x-forwarded-for": "10.0.0.1" })).status, 400);
      assert.equal((await login(server, uniqueName(), "x", { "x-forwarded-for": "10.0.0.1" })).status, 429);
      assert.equal(
        (await login(server, uniqueName(), "x", { "x-forwarded-for": "10.0.0.2" })).status,
        400,
        "another client behind the proxy",
      );
      assert.equal(
        (await login(server, uniqueName(), "x", { "x-forwarded-for": "10.0.0.1, 10.0.0.2" })).status,
        400,
        "the last hop counts",
      );
    });
  });

  it("leaves registration unthrottled by default and limits it per address when configured", async () => {
    await withServer({}, async (server) => {
      for (let i = 0; i < 5; i++) await register(server);
    });
    const config: Partial<AppConfig> = { throttle: { registerPerAddress: { limit: 2, windowMs: 60_000 } } };
    await withServer({ config }, async (server) => {
      await register(server);
      assert.equal((await fetch(`${server.url}/account/register/`, { method: "OPTIONS" })).status, 200, "OPTIONS does not count");
      await register(server);
      const third = await post(`${server.url}/account/register/`, registration(uniqueName()));
      assert.equal(third.status, 429);
      assert.equal(third.headers.get("retry-after"), (third.body as { detail: string }).detail.match(/in (\d+) second/)?.[1]);
    });
  });
});

describe("tokens sealed under a key the server no longer has", () => {
  it("replace the token at login instead of failing, and the old one stops working", async () => {
    await withServer({}, async (server) => {
      const username = uniqueName();
      const stranger = new TokenVault(randomBytes(32));
      const oldKey = stranger.generate();
      const hash = await new BcryptSha256Hasher(4).hash("pw");
      await server.store.createUser(
        { username, email: `${username}@example.com`, passwordHash: hash },
        { sealed: stranger.seal(oldKey), created: new Date().toISOString(), expiry: null, name: "" },
      );
      const answer = await login(server, username, "pw");
      assert.equal(answer.status, 200);
      const fresh = (answer.body as { token: string }).token;
      assert.match(fresh, /^[0-9a-f]{40}$/);
      assert.ok(fresh !== oldKey, "a new token was issued");
      const me = await fetch(`${server.url}/account/me/`, { headers: { authorization: `Token ${fresh}` } });
      assert.equal(me.status, 200);
      const stale = await fetch(`${server.url}/account/me/`, { headers: { authorization: `Token ${oldKey}` } });
      assert.equal(stale.status, 401);
      assert.equal(((await login(server, username, "pw")).body as { token: string }).token === fresh, true, "the same token again");
    });
  });
});

describe("hostile bodies", () => {
  it("refuses more than 1000 form fields, like Django, and takes 1000", async () => {
    await withServer({}, async (server) => {
      const fields = (n: number) => Array.from({ length: n }, (_, i) => `f${i}=x`).join("&");
      const url = `${server.url}/account/login/`;
      const ok = await formPost(url, fields(1000), "application/x-www-form-urlencoded");
      assert.equal(ok.status, 400);
      assert.deepEqual(await ok.json(), { username: ["This field is required."], password: ["This field is required."] });
      const tooMany = await formPost(url, fields(1001), "application/x-www-form-urlencoded");
      assert.deepEqual([tooMany.status, await tooMany.json()], [400, { detail: "Too many fields sent: at most 1000 are accepted." }]);
      const boundary = "XyZ";
      const parts = Array.from({ length: 1001 }, (_, i) => `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`);
      const multipart = await formPost(url, `${parts.join("")}--${boundary}--\r\n`, `multipart/form-data; boundary=${boundary}`);
      assert.deepEqual([multipart.status, await multipart.json()], [400, { detail: "Too many fields sent: at most 1000 are accepted." }]);
    });
  });

  it("answers deep nesting with a JSON parse error and keeps Python's number text", async () => {
    await withServer({}, async (server) => {
      const deep = await fetch(`${server.url}/account/login/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"username": ${"[".repeat(5000)}${"]".repeat(5000)}, "password": "x"}`,
      });
      assert.equal(deep.status, 400);
      assert.match(((await deep.json()) as { detail: string }).detail, /^JSON parse error - nesting deeper than 512 levels/);
      const answer = await fetch(`${server.url}/account/register/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"username": 7.0, "email": "${uniqueName()}@example.com", "password": "pw", "password2": "pw"}`,
      });
      assert.equal(answer.status, 201);
      assert.equal(((await answer.json()) as { username: string }).username, "7.0");
    });
  });

  it("answers a login padded with 400 KB of whitespace like any other failed login", async () => {
    await withServer({ config: { bodyLimit: 2 * 1024 * 1024 } }, async (server) => {
      const answer = await login(server, `a${" ".repeat(400_000)}a`, "x");
      assert.deepEqual([answer.status, answer.body], [400, BAD_CREDENTIALS]);
    });
  });
});

describe("bounded hashing", () => {
  it("answers 503 with Retry-After beyond the expected hashing wait, and serves the rest", async () => {
    // Any wait at all is too long; the registration times the first hash.
    await withServer({ cost: 10, config: { hashingMaxWaitMs: 1 } }, async (server) => {
      const { username } = await register(server);
      const answers = await Promise.all(Array.from({ length: 6 }, () => login(server, username, "s3cret-pw")));
      const busy = answers.filter((answer) => answer.status === 503);
      assert.ok(busy.length > 0, "some logins found the queue full");
      assert.ok(
        answers.some((answer) => answer.status === 200),
        "the first was served",
      );
      for (const answer of busy) {
        assert.deepEqual(answer.body, { detail: "The server is busy checking passwords. Try again shortly." });
        assert.equal(answer.headers.get("retry-after"), "1");
      }
    });
  });

  it("spends a full hash on a wrong password against a cheaper stored hash (harden_runtime)", async () => {
    let burned = 0;
    class CountingHasher extends BcryptSha256Hasher {
      override async burn(password: string) {
        burned++;
        await super.burn(password);
      }
    }
    const hasher = new CountingHasher(6);
    await hasher.hardenRuntime("pw", await new BcryptSha256Hasher(4).hash("x"));
    assert.equal(burned, 1);
    await hasher.hardenRuntime("pw", await hasher.hash("x"));
    assert.equal(burned, 1, "no extra work against a hash at today's cost");
  });
});

describe("a database write-locked by another connection", () => {
  it("keeps reads and /healthz answering, then gives writes 503 with Retry-After", async () => {
    await withServer({ lockTimeoutMs: 3000 }, async (server) => {
      const existing = await register(server);
      const locker = new Database(server.store.database.name);
      locker.exec("BEGIN IMMEDIATE");
      try {
        const write = post(`${server.url}/account/register/`, registration(uniqueName()));
        let writeSettled = false;
        void write.then(() => (writeSettled = true));
        const health = await fetch(`${server.url}/healthz`);
        assert.equal(health.status, 503);
        assert.deepEqual(await health.json(), {
          status: "unavailable",
          reason: "the database is locked by another process: reads work, writes wait",
        });
        const read = await login(server, existing.username, "s3cret-pw");
        assert.equal(read.status, 200, "a login whose token exists needs no write");
        assert.equal(writeSettled, false, "the event loop served others while the write waited");
        const answer = await write;
        assert.deepEqual([answer.status, answer.body], [503, { detail: "The database is busy. Try again shortly." }]);
        assert.equal(answer.headers.get("retry-after"), "1");
      } finally {
        locker.exec("ROLLBACK");
        locker.close();
      }
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      await register(server);
    });
  });
});
