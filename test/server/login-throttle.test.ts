import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { BcryptSha256Hasher, type Hasher } from "../../packages/server/src/auth/hasher.js";
import { HashingGate } from "../../packages/server/src/auth/hashing-gate.js";
import { TokenVault } from "../../packages/server/src/auth/tokens.js";
import { createApp, DEFAULT_APP_CONFIG, type AppConfig } from "../../packages/server/src/app.js";
import { DatabaseThrottleState } from "../../packages/server/src/store/throttle-events.js";
import type { ThrottleConfig } from "../../packages/server/src/throttle/account-throttles.js";
import { openAccountStore } from "../helpers/database.js";
import { post, registration, TEST_BCRYPT_COST } from "../helpers/server.js";
import { tempDir, uniqueName } from "../helpers/temp.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PASSWORD = "s3cret-pw";

/**
 * A hasher whose password checks all wait at one gate, opened by the test:
 * the slowest hashing there is, without sleeping.
 */
class GatedHasher implements Hasher {
  waiting = 0;
  private open!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));

  constructor(
    private readonly inner: Hasher,
    private readonly arrived: () => void,
  ) {}

  release(): void {
    this.open();
  }

  hash(password: string): Promise<string> {
    return this.inner.hash(password);
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    await this.wait();
    return this.inner.verify(password, encoded);
  }

  needsRehash(encoded: string): boolean {
    return this.inner.needsRehash(encoded);
  }

  async burn(password: string): Promise<void> {
    await this.wait();
    return this.inner.burn(password);
  }

  hardenRuntime(password: string, encoded: string): Promise<void> {
    return this.inner.hardenRuntime(password, encoded);
  }

  private async wait(): Promise<void> {
    this.waiting++;
    this.arrived();
    await this.gate;
  }
}

interface Harness {
  /** The injected clock, in ms; tests move it instead of sleeping. */
  clock: { now: number };
  log: string[];
  register: (username: string) => Promise<void>;
  login: (username: string, password: string, address: string) => Promise<{ status: number; retryAfter: string | null }>;
}

/**
 * The app on a SQLite file with its throttle history in the same database
 * (as the server runs it), behind one trusted proxy so each request names
 * its client address in X-Forwarded-For, unless `config` says otherwise.
 */
async function withApp(
  config: { throttle: ThrottleConfig } & Partial<AppConfig>,
  run: (harness: Harness) => Promise<void>,
  hasher: (inner: Hasher) => Hasher = (inner) => inner,
  hashing?: HashingGate,
): Promise<void> {
  const dir = await tempDir();
  const store = await openAccountStore({ dataDir: dir.path });
  const throttleState = new DatabaseThrottleState(store.database);
  const clock = { now: Date.UTC(2026, 0, 1) };
  const log: string[] = [];
  const app = createApp({
    store,
    hasher: hasher(new BcryptSha256Hasher(TEST_BCRYPT_COST)),
    tokens: new TokenVault(randomBytes(32)),
    config: { trustedProxies: 1, hashingMaxWaitMs: 600_000, ...config },
    throttleState,
    ...(hashing ? { hashing } : {}),
    clock: () => clock.now,
    log: { info: (line) => log.push(line), error: (line) => log.push(line) },
  });
  const handle = app.callback();
  const server = createServer((request, response) => void handle(request, response));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await run({
      clock,
      log,
      register: async (username) => {
        assert.equal((await post(`${url}/account/register/`, registration(username, PASSWORD))).status, 201);
      },
      login: async (username, password, address) => {
        const answer = await post(`${url}/account/login/`, { username, password }, { "x-forwarded-for": address });
        assert.ok([200, 400, 429, 503].includes(answer.status), `HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
        if (answer.status === 429)
          assert.equal((answer.body as { detail: string }).detail.match(/in (\d+) seconds?\.$/)?.[1], answer.headers.get("retry-after"));
        return { status: answer.status, retryAfter: answer.headers.get("retry-after") };
      },
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    await dir.remove();
  }
}

const count = (statuses: readonly number[], status: number) => statuses.filter((s) => s === status).length;

describe("the failed-login limit is exact", () => {
  it("lets at most the limit of 200 concurrent wrong-password logins reach a slow password check", async (t) => {
    const total = 200;
    const limit = 20;
    let gated: GatedHasher | undefined;
    let answered = 0;
    // Every request has either been answered or is waiting at the gate: open it.
    const settle = () => {
      if (gated && gated.waiting + answered === total) gated.release();
    };
    const throttle = { loginPerUsername: { limit, windowMs: HOUR } };
    await withApp(
      { throttle },
      async ({ register, login }) => {
        const victim = uniqueName("slow");
        await register(victim);
        const statuses = await Promise.all(
          Array.from({ length: total }, async (_, i) => {
            const { status } = await login(victim, `wrong-${i}`, `10.1.${Math.floor(i / 250)}.${i % 250}`);
            answered++;
            settle();
            return status;
          }),
        );
        t.diagnostic(
          `${total} concurrent wrong passwords, limit ${limit}: ${count(statuses, 400)} checked (400), ${count(statuses, 429)} refused (429)`,
        );
        assert.ok(count(statuses, 400) <= limit + 1, `${count(statuses, 400)} guesses got through a limit of ${limit}`);
        assert.equal(count(statuses, 400), limit);
        assert.equal(count(statuses, 429), total - limit);
      },
      (inner) => (gated = new GatedHasher(inner, settle)),
      // Every admitted check reaches the held hasher at once, as on a server with that many cores.
      new HashingGate({ parallel: total, maxWaitMs: 600_000 }),
    );
  });

  it("does not count successful logins, nor attempts whose password was never checked", async () => {
    const throttle = { loginPerUsername: { limit: 3, windowMs: HOUR } };
    let gated: GatedHasher | undefined;
    let arrived = () => {};
    const first = new Promise<void>((resolve) => (arrived = resolve));
    // One hashing place, and a gate that has timed a job: any wait is over its bound of 0 ms.
    let tick = 0;
    const hashing = new HashingGate({ parallel: 1, maxWaitMs: 0, now: () => tick++ });
    await hashing.run({ clientAddress: "127.0.0.9", gone: () => new AbortController().signal }, () => Promise.resolve());
    await withApp(
      { throttle },
      async ({ register, login }) => {
        const user = uniqueName("ok");
        await register(user);
        // One failure holds the only hashing place; three more are turned away (503) before any password check.
        const holding = login(user, "wrong", "10.0.0.2");
        await first;
        for (let i = 0; i < 3; i++) assert.equal((await login(user, "wrong", "10.0.0.2")).status, 503);
        gated?.release();
        assert.equal((await holding).status, 400);
        for (let i = 0; i < 10; i++) assert.equal((await login(user, PASSWORD, "10.0.0.1")).status, 200);
        for (let i = 0; i < 2; i++) assert.equal((await login(user, "wrong", "10.0.0.2")).status, 400);
        assert.equal((await login(user, "wrong", "10.0.0.2")).status, 429, "three failures counted, no more");
      },
      (inner) =>
        (gated = new GatedHasher(inner, () => {
          arrived();
        })),
      hashing,
    );
  });
});

describe("lock-out resistance", () => {
  it("lets the owner log in from a known address while an attacker elsewhere has used up the username's limit", async (t) => {
    const throttle = {
      loginPerUsername: { limit: 5, windowMs: HOUR },
      loginDelayAfter: 2,
      loginPerAddress: { limit: 1000, windowMs: HOUR },
      loginKnownForMs: 30 * DAY,
    };
    await withApp({ throttle }, async ({ clock, register, login }) => {
      const victim = uniqueName("victim");
      await register(victim);
      assert.equal((await login(victim, PASSWORD, "192.0.2.10")).status, 200, "the owner logs in from home once");
      clock.now += DAY;
      // The attacker spreads guesses over addresses and waits out every delay, until the limit blocks.
      let guesses = 0;
      let blocked: string | null = null;
      for (let i = 0; blocked === null; i++) {
        const answer = await login(victim, `guess-${i}`, `203.0.113.${i % 250}`);
        if (answer.status === 400) guesses++;
        else if (Number(answer.retryAfter) > 600) blocked = answer.retryAfter;
        else clock.now += Number(answer.retryAfter) * 1000;
      }
      t.diagnostic(`attacker: ${guesses} guesses, then Retry-After ${blocked}`);
      assert.equal(guesses, 5);
      assert.equal((await login(victim, PASSWORD, "198.51.100.7")).status, 429, "a new address is locked out with the attacker");
      assert.equal((await login(victim, PASSWORD, "192.0.2.10")).status, 200, "the owner's known address is not");
      // Failures from the known address (a shared NAT, a typo) are counted apart, under the same rules.
      assert.equal((await login(victim, "typo", "192.0.2.10")).status, 400);
      assert.equal((await login(victim, "typo", "192.0.2.10")).status, 400);
      assert.deepEqual(await login(victim, PASSWORD, "192.0.2.10"), { status: 429, retryAfter: "1" });
      clock.now += 1000;
      assert.equal((await login(victim, PASSWORD, "192.0.2.10")).status, 200);
      // Thirty days without a login from there, and the address is a stranger again.
      clock.now += 31 * DAY;
      for (let i = 0; i < 2; i++) assert.equal((await login(victim, "wrong", `203.0.113.${i}`)).status, 400);
      assert.equal((await login(victim, PASSWORD, "192.0.2.10")).status, 429);
    });
  });

  it("slows failed logins on a username before the limit blocks them: Retry-After 1, 2, 4 … 300 s", async (t) => {
    const throttle = DEFAULT_APP_CONFIG.throttle;
    await withApp({ throttle }, async ({ clock, register, login }) => {
      const victim = uniqueName("slowed");
      await register(victim);
      for (let i = 0; i < 10; i++) assert.equal((await login(victim, "wrong", `203.0.113.${i}`)).status, 400);
      const waits: number[] = [];
      for (let i = 0; i < 12; i++) {
        const refused = await login(victim, PASSWORD, "198.51.100.1");
        assert.equal(refused.status, 429, "not even the right password gets through a delay");
        waits.push(Number(refused.retryAfter));
        clock.now += (waits.at(-1) ?? 0) * 1000 - 1;
        assert.equal((await login(victim, "wrong", "203.0.113.99")).status, 429, "a millisecond early");
        clock.now += 1;
        assert.equal((await login(victim, "wrong", "203.0.113.99")).status, 400);
      }
      t.diagnostic(`Retry-After after failures 10 to 21 on one username: ${waits.join(", ")}`);
      assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    });
  });

  it("keeps a proxy's known users logging in when others' failures used up its address, and says once why to set AUTHCTL_TRUST_PROXY", async () => {
    const throttle = {
      loginPerUsername: { limit: 100, windowMs: HOUR },
      loginPerAddress: { limit: 5, windowMs: HOUR },
      loginKnownForMs: 30 * DAY,
    };
    await withApp({ throttle, trustedProxies: 0 }, async ({ register, login, log }) => {
      const [regular, newcomer] = [uniqueName("regular"), uniqueName("newcomer")];
      await register(regular);
      await register(newcomer);
      assert.equal((await login(regular, PASSWORD, "10.0.0.1")).status, 200);
      // With AUTHCTL_TRUST_PROXY=0 every one of these is the proxy's (the peer's) address.
      for (let i = 0; i < 5; i++) assert.equal((await login(uniqueName("nobody"), "x", `10.0.0.${i + 2}`)).status, 400);
      assert.equal((await login(uniqueName("nobody"), "x", "10.0.0.9")).status, 429);
      assert.equal((await login(newcomer, PASSWORD, "10.0.0.10")).status, 429, "an account new to the address waits");
      assert.equal((await login(regular, PASSWORD, "10.0.0.1")).status, 200, "a returning one does not");
      const warnings = log.filter((line) => line.includes("AUTHCTL_TRUST_PROXY=0"));
      assert.equal(warnings.length, 1, log.join("\n"));
      assert.doesNotMatch(warnings.join(""), /10\.0\.0\./, "the header's value is not logged");
    });
  });
});
