import assert from "node:assert/strict";
import { chmod, copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { post, spawnServer, type ServerProcess } from "../helpers/server.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";

/**
 * Databases made by release 0.1 (SQLite schema 3, PostgreSQL schema 1; see
 * test/fixtures/release-0.1/make-fixture.ts) open with today's code: the
 * migrations adopt them in place, every user logs in with the same password
 * and gets the same token, and a logged-out token stays logged out.
 */
const FIXTURE = new URL("../fixtures/release-0.1/", import.meta.url).pathname;

interface FixtureUser {
  username: string;
  password: string;
  token: string | null;
}

async function fixtureUsers(kind: "sqlite" | "postgres"): Promise<FixtureUser[]> {
  return (JSON.parse(await readFile(join(FIXTURE, "users.json"), "utf8")) as Record<string, FixtureUser[]>)[kind] ?? [];
}

async function privateCopy(from: string, to: string): Promise<void> {
  await copyFile(join(FIXTURE, from), to);
  await chmod(to, 0o600);
}

/** Every user logs in with their 0.1 password; those with a token get that same token, and it authenticates. */
async function assertEveryoneLogsIn(server: ServerProcess, users: FixtureUser[]): Promise<void> {
  assert.ok(users.length >= 5);
  for (const user of users) {
    const login = await post(`${server.url}/account/login/`, { username: user.username, password: user.password });
    assert.equal(login.status, 200, `${user.username} logs in`);
    const token = (login.body as { token: string }).token;
    if (user.token !== null) assert.equal(token, user.token, `${user.username} keeps the token 0.1 gave them`);
    const me = await fetch(`${server.url}/account/me/`, { headers: { authorization: `Token ${token}` } });
    assert.equal(me.status, 200);
  }
  assert.ok(
    users.some((user) => user.token === null),
    "the fixture has a user who logged out",
  );
}

describe("a database made by release 0.1", () => {
  it("SQLite (schema 3): adopted in place, nothing lost, and 0.1 servers are fenced off", async () => {
    const dir = await tempDir();
    try {
      await privateCopy("authctl.sqlite3", join(dir.path, "authctl.sqlite3"));
      await privateCopy("secret.key", join(dir.path, "secret.key"));
      const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_WORKERS: "1" });
      try {
        await assertEveryoneLogsIn(server, await fixtureUsers("sqlite"));
      } finally {
        assert.equal(await server.stop(), 0);
      }
      const db = new Sqlite(join(dir.path, "authctl.sqlite3"), { readonly: true });
      try {
        const steps = db.prepare("SELECT name FROM authctl_migrations ORDER BY name").all() as { name: string }[];
        assert.deepEqual(
          steps.map((step) => step.name),
          ["0001_accounts", "0002_servers", "0003_user_details", "0004_token_ids"],
        );
        assert.ok((db.pragma("user_version", { simple: true }) as number) > 3, "a 0.1 server would refuse this database");
        const events = db.prepare("SELECT count(*) AS n FROM throttle_events").get() as { n: number };
        assert.ok(events.n >= 1, "the failed login 0.1 recorded is still counted");
        const tokens = db
          .prepare("SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(per_user) AS drf, count(expiry) AS expiring FROM tokens")
          .get() as Record<string, number>;
        assert.ok((tokens.n ?? 0) >= 4);
        assert.deepEqual(
          [tokens.ids, tokens.drf, tokens.expiring],
          [tokens.n, tokens.n, 0],
          "each 0.1 token has an id and is its user's DRF token, never expiring",
        );
      } finally {
        db.close();
      }
    } finally {
      await dir.remove();
    }
  });

  describe("PostgreSQL (schema 1)", () => {
    let cluster: PostgresCluster;
    before(async () => {
      cluster = await startPostgres();
    });
    after(async () => {
      await cluster.stop();
    });

    it("adopted in place: every user logs in with the same token", async () => {
      const databaseUrl = await cluster.createDatabase();
      const client = new pg.Client(databaseUrl);
      await client.connect();
      try {
        await client.query(await readFile(join(FIXTURE, "postgres.sql"), "utf8"));
      } finally {
        await client.end();
      }
      const dir = await tempDir();
      try {
        await privateCopy("postgres-secret.key", join(dir.path, "secret.key"));
        const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_DATABASE_URL: databaseUrl, AUTHCTL_WORKERS: "1" });
        try {
          await assertEveryoneLogsIn(server, await fixtureUsers("postgres"));
        } finally {
          assert.equal(await server.stop(), 0);
        }
        const check = new pg.Client(databaseUrl);
        await check.connect();
        try {
          const { rows } = await check.query<{ name: string }>("SELECT name FROM authctl_migrations ORDER BY name");
          assert.deepEqual(
            rows.map((row) => row.name),
            ["0001_accounts", "0002_servers", "0003_user_details", "0004_token_ids"],
          );
          const tokens = await check.query<{ n: number; ids: number; drf: number; expiring: number }>(
            "SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, sum(per_user)::int AS drf, count(expiry)::int AS expiring FROM tokens",
          );
          const counted = tokens.rows[0];
          assert.ok((counted?.n ?? 0) >= 4);
          assert.deepEqual(
            [counted?.ids, counted?.drf, counted?.expiring],
            [counted?.n, counted?.n, 0],
            "each 0.1 token has an id and is its user's DRF token, never expiring",
          );
          const legacy = await check.query<{ top: number }>("SELECT max(version) AS top FROM authctl_schema");
          assert.ok((legacy.rows[0]?.top ?? 0) > 1, "a 0.1 server would refuse this database");
        } finally {
          await check.end();
        }
      } finally {
        await dir.remove();
      }
    });
  });
});
