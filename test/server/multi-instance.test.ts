import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { post, registration, spawnServer, type ServerProcess } from "../helpers/server.js";
import { tempDir, uniqueName } from "../helpers/temp.js";

const CONFORM = fileURLToPath(new URL("../conformance/conform.mjs", import.meta.url));

describe("three server instances on one PostgreSQL database", () => {
  let cluster: PostgresCluster;
  let servers: ServerProcess[] = [];
  let dir: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    cluster = await startPostgres();
    dir = await tempDir();
    // trust authentication ignores the password: it is here to prove no log line shows it.
    const url = (await cluster.createDatabase()).replace("@", ":never-logged-pw@");
    // Every instance must seal tokens under the same key.
    const env = {
      AUTHCTL_DATABASE_URL: url,
      AUTHCTL_SECRET_KEY: randomBytes(32).toString("hex"),
      AUTHCTL_DATA_DIR: dir.path,
      // A small limit and no progressive delay, so the shared count is exact whatever the machine's speed.
      AUTHCTL_THROTTLE_LOGIN_USERNAME: "10/hour",
      AUTHCTL_THROTTLE_LOGIN_DELAY: "off",
    };
    servers = await Promise.all([spawnServer(env), spawnServer(env), spawnServer(env)]);
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await cluster.stop();
    await dir.remove();
  });
  const at = (i: number) => {
    const server = servers[i % servers.length];
    assert.ok(server);
    return server.url;
  };

  it("passes every DRF conformance case against an instance on PostgreSQL", () => {
    const run = spawnSync(process.execPath, [CONFORM, "--url", at(0)], { encoding: "utf8", timeout: 120_000 });
    const summary = /conformance: (\d+) passed, (\d+) failed/.exec(run.stdout);
    assert.ok(summary, `no summary in:\n${run.stdout}${run.stderr}`);
    assert.equal(summary[2], "0", run.stdout);
    assert.ok(Number(summary[1]) >= 39, run.stdout);
    assert.equal(run.status, 0);
  });

  it("gives exactly one 201 to 50 registrations of one username spread over the three", async () => {
    const name = uniqueName("race");
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post(`${at(i)}/account/register/`, { ...registration(name), email: `${name}.${i}@example.com` }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    const created = statuses.filter((status) => status === 201).length;
    const refused = answers.filter((answer) => answer.status === 400 && JSON.stringify(answer.body).includes("already exists"));
    console.log(
      `50 registrations of one username over 3 instances: ${created} × 201, ${refused.length} × 400 "already exists", other: ${statuses.filter((s) => s !== 201 && s !== 400).join(",") || "none"}`,
    );
    assert.equal(created, 1);
    assert.equal(refused.length, 49);
  });

  it("accepts a token issued by one instance at another and honours its revocation by a third", async () => {
    const name = uniqueName("roam");
    const registered = await post(`${at(0)}/account/register/`, registration(name));
    assert.equal(registered.status, 201);
    const token = (registered.body as { token: string }).token;
    const me = await fetch(`${at(1)}/account/me/`, { headers: { authorization: `Token ${token}` } });
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), { username: name, email: `${name}@example.com` });
    const login = await post(`${at(2)}/account/login/`, { username: name, password: "s3cret-pw" });
    assert.deepEqual(login.body, { token }, "another instance hands back the same token");
    assert.equal((await post(`${at(2)}/account/logout/`, undefined, { authorization: `Token ${token}` })).status, 200);
    const after = await fetch(`${at(1)}/account/me/`, { headers: { authorization: `Token ${token}` } });
    assert.equal(after.status, 401);
    assert.deepEqual(await after.json(), { detail: "Invalid token." });
  });

  it("counts failed logins for one account across instances: exactly the limit of ten gets through 100 at once", async () => {
    const name = uniqueName("guess");
    assert.equal((await post(`${at(0)}/account/register/`, registration(name))).status, 201);
    const failures = await Promise.all(
      Array.from({ length: 100 }, (_, i) => post(`${at(i)}/account/login/`, { username: name, password: "wrong" })),
    );
    const statuses = failures.map((failure) => failure.status);
    const checked = statuses.filter((s) => s === 400).length;
    const last = await post(`${at(100)}/account/login/`, { username: name, password: "s3cret-pw" });
    console.log(
      `101 logins for one account over 3 instances: ${checked} × 400, ${statuses.filter((s) => s === 429).length} × 429, then ${last.status} ${JSON.stringify(last.body)}`,
    );
    assert.equal(checked, 10, `${checked} failures checked`);
    assert.equal(statuses.filter((s) => s === 429).length, 90);
    assert.equal(last.status, 429, "the right password too, once the limit is reached");
    assert.match(String(last.headers.get("retry-after")), /^\d+$/);
  });

  it("answers 503 while the database is down, /healthz says why, and recovers when it is back", async () => {
    await cluster.pause();
    try {
      const login = await post(`${at(0)}/account/login/`, { username: "anyone", password: "x" });
      assert.equal(login.status, 503);
      assert.deepEqual(login.body, { detail: "The database is unavailable. Try again shortly." });
      assert.equal(login.headers.get("retry-after"), "1");
      const health = await fetch(`${at(1)}/healthz`);
      assert.equal(health.status, 503);
      const body = (await health.json()) as { status: string; reason: string };
      assert.equal(body.status, "unavailable");
      assert.match(body.reason, /^the database does not answer: /);
      console.log(`/healthz with the database down: ${JSON.stringify(body)}`);
    } finally {
      await cluster.resume();
    }
    const health = await fetch(`${at(1)}/healthz`);
    assert.equal(health.status, 200);
    for (const server of servers) assert.doesNotMatch(server.output(), /never-logged-pw|s3cret-pw/);
  });
});
