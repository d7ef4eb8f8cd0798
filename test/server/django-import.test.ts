import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { runCli } from "../helpers/cli.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { post, spawnServer } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/django/", import.meta.url));
const DJANGO_DB = `sqlite://${FIXTURE}db.sqlite3`;

interface FixtureUser {
  username: string;
  password: string | null;
  token: string | null;
  is_active?: boolean;
  skipped?: boolean;
}

const fixtureUsers = () => (JSON.parse(readFileSync(`${FIXTURE}users.json`, "utf8")) as { users: FixtureUser[] }).users;

/** Every imported user logs in with the password Django knew and gets the token Django issued. */
async function assertDjangoUsersLogIn(url: string): Promise<void> {
  for (const user of fixtureUsers()) {
    const login = await post(`${url}/account/login/`, { username: user.username, password: user.password ?? "" });
    const mayLogIn = user.password !== null && user.is_active !== false && user.skipped !== true;
    if (!mayLogIn) {
      assert.equal(login.status, 400, `${user.username} must not log in`);
      continue;
    }
    assert.equal(login.status, 200, `${user.username}: ${JSON.stringify(login.body)}`);
    const token = (login.body as { token: string }).token;
    if (user.token !== null) assert.equal(token, user.token, `${user.username} keeps the token Django issued`);
    const me = await fetch(`${url}/account/me/`, { headers: { authorization: `Token ${token}` } });
    assert.equal(me.status, 200);
  }
}

describe("importing a database made by the real Django", () => {
  let cluster: PostgresCluster;
  before(async () => {
    cluster = await startPostgres();
  });
  after(async () => {
    await cluster.stop();
  });

  it("imports into a data directory: old passwords and tokens work, hashes are upgraded at login, a re-run changes nothing", async () => {
    const dir = await tempDir();
    const env = { AUTHCTL_DATABASE_URL: undefined, AUTHCTL_SECRET_KEY: undefined, AUTHCTL_BCRYPT_COST: "4" };
    try {
      const first = await runCli(["admin", "import-django", "--from", DJANGO_DB, "--data-dir", dir.path], { env });
      console.log(first.stderr.trimEnd());
      assert.equal(first.exitCode, 0, first.stderr);
      assert.match(first.stderr, /imported 10, already there 0, skipped 1/);
      assert.match(first.stderr, /tokens imported 8, already there 0/);
      assert.match(first.stderr, /skipped dup2: its email belongs to Dup here/);
      const again = await runCli(["admin", "import-django", "--from", DJANGO_DB, "--data-dir", dir.path, "--json"], { env });
      assert.equal(again.exitCode, 0, again.stderr);
      const summary = JSON.parse(again.stdout) as { changed: boolean; users: { imported: number; alreadyThere: number } };
      assert.deepEqual([summary.changed, summary.users.imported, summary.users.alreadyThere], [false, 0, 10]);

      const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path });
      try {
        await assertDjangoUsersLogIn(server.url);
      } finally {
        await server.stop();
      }
      const db = new Database(join(dir.path, "authctl.sqlite3"), { readonly: true });
      const hashes = db.prepare<[], { username: string; password: string }>("SELECT username, password FROM users").all();
      db.close();
      for (const { username, password } of hashes) {
        if (username === "retired" || username === "nopassword") assert.doesNotMatch(password, /^bcrypt_sha256\$\$2b\$04\$/);
        else assert.match(password, /^bcrypt_sha256\$\$2b\$04\$/, `${username} was rehashed at login`);
      }
      assert.match(hashes.find((row) => row.username === "nopassword")?.password ?? "", /^!/, "an unusable password stays unusable");
    } finally {
      await dir.remove();
    }
  });

  it("imports into PostgreSQL (AUTHCTL_DATABASE_URL) and its users log in through a server on it", async () => {
    const dir = await tempDir();
    const url = await cluster.createDatabase();
    const env = { AUTHCTL_DATABASE_URL: url, AUTHCTL_SECRET_KEY: undefined, AUTHCTL_BCRYPT_COST: "4" };
    try {
      const run = await runCli(["admin", "import-django", "--from", DJANGO_DB, "--data-dir", dir.path, "--json"], { env });
      assert.equal(run.exitCode, 0, run.stderr);
      const summary = JSON.parse(run.stdout) as { users: { imported: number }; tokens: { imported: number }; skipped: unknown[] };
      assert.deepEqual([summary.users.imported, summary.tokens.imported, summary.skipped.length], [10, 8, 1]);
      const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_DATABASE_URL: url });
      try {
        await assertDjangoUsersLogIn(server.url);
      } finally {
        await server.stop();
      }
    } finally {
      await dir.remove();
    }
  });

  it("reads a Django database kept in PostgreSQL", async () => {
    const django = await cluster.createDatabase();
    const client = new pg.Client(django);
    await client.connect();
    await client.query(`CREATE TABLE auth_user (id serial PRIMARY KEY, password varchar(128) NOT NULL, is_superuser boolean NOT NULL,
      username varchar(150) NOT NULL UNIQUE, email varchar(254) NOT NULL, is_staff boolean NOT NULL, is_active boolean NOT NULL,
      date_joined timestamptz NOT NULL)`);
    await client.query(`CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer NOT NULL UNIQUE REFERENCES auth_user (id), created timestamptz NOT NULL)`);
    const source = new Database(`${FIXTURE}db.sqlite3`, { readonly: true });
    const rows = source.prepare<[], { id: number; password: string; username: string; email: string; is_active: number }>(
      "SELECT id, password, username, email, is_active FROM auth_user").all();
    const tokens = source.prepare<[], { key: string; user_id: number }>("SELECT key, user_id FROM authtoken_token").all();
    source.close();
    for (const row of rows) {
      await client.query("INSERT INTO auth_user VALUES ($1, $2, false, $3, $4, false, $5, now())", [row.id, row.password, row.username, row.email, row.is_active === 1]);
    }
    for (const token of tokens) await client.query("INSERT INTO authtoken_token VALUES ($1, $2, now())", [token.key, token.user_id]);
    await client.end();
    const dir = await tempDir();
    try {
      const env = { AUTHCTL_DATABASE_URL: undefined, AUTHCTL_SECRET_KEY: undefined };
      const run = await runCli(["admin", "import-django", "--from", django, "--data-dir", dir.path, "--json"], { env });
      assert.equal(run.exitCode, 0, run.stderr);
      const summary = JSON.parse(run.stdout) as { users: { imported: number }; tokens: { imported: number } };
      assert.deepEqual([summary.users.imported, summary.tokens.imported], [10, 8]);
    } finally {
      await dir.remove();
    }
  });

  it("refuses a file that is not a Django database, with a usage error", async () => {
    const dir = await tempDir();
    try {
      const env = { AUTHCTL_DATABASE_URL: undefined };
      const missing = await runCli(["admin", "import-django", "--from", `sqlite://${dir.path}/nope.sqlite3`, "--data-dir", dir.path], { env });
      assert.equal(missing.exitCode, 2, missing.stderr);
      assert.match(missing.stderr, /does not exist/);
    } finally {
      await dir.remove();
    }
  });
});
