import assert from "node:assert/strict";
import { pbkdf2Sync, scryptSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { copyFile } from "node:fs/promises";
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

  it("imports into PostgreSQL past a username PostgreSQL cannot store (a NUL), skipping only that row", async () => {
    const dir = await tempDir();
    const url = await cluster.createDatabase();
    const env = { AUTHCTL_DATABASE_URL: url, AUTHCTL_SECRET_KEY: undefined, AUTHCTL_BCRYPT_COST: "4" };
    try {
      const from = await djangoWith(dir.path, [{ username: "nul\u0000user", email: "nul@example.com", password: pbkdf2Hash("pw") }]);
      const run = await runCli(["admin", "import-django", "--from", from, "--data-dir", dir.path, "--json"], { env });
      assert.equal(run.exitCode, 0, run.stderr);
      const summary = JSON.parse(run.stdout) as { users: { imported: number }; skipped: { username: string; reason: string }[] };
      assert.equal(summary.users.imported, 10);
      assert.deepEqual(summary.skipped[0], { username: "nul\\u0000user", reason: "its username contains a control character (U+0000)" });
    } finally {
      await dir.remove();
    }
  });

  it("brings first and last names and last_login over as Django kept them", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir.path, "django.sqlite3");
      await copyFile(`${FIXTURE}db.sqlite3`, path);
      const db = new Database(path);
      db.prepare(
        `INSERT INTO auth_user (password, username, email, is_superuser, is_staff, is_active, last_name, first_name, date_joined, last_login)
        VALUES ('!', 'lovelace', 'lovelace@example.com', 0, 0, 1, 'Lovelace', 'Ada', '2024-05-01 12:00:00', '2024-06-01 10:00:00.123456')`,
      ).run();
      db.close();
      const env = { AUTHCTL_DATABASE_URL: undefined, AUTHCTL_SECRET_KEY: undefined };
      assert.equal((await runCli(["admin", "import-django", "--from", `sqlite://${path}`, "--data-dir", dir.path], { env })).exitCode, 0);
      const listed = JSON.parse((await runCli(["admin", "list-users", "--data-dir", dir.path, "--json"], { env })).stdout) as Record<
        string,
        unknown
      >[];
      const ada = listed.find((user) => user.username === "lovelace");
      assert.deepEqual([ada?.firstName, ada?.lastName, ada?.lastLogin], ["Ada", "Lovelace", "2024-06-01T10:00:00.123Z"]);
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
      date_joined timestamptz NOT NULL, last_login timestamptz NULL, first_name varchar(150) NOT NULL DEFAULT '',
      last_name varchar(150) NOT NULL DEFAULT '')`);
    await client.query(
      `CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer NOT NULL UNIQUE REFERENCES auth_user (id), created timestamptz NOT NULL)`,
    );
    const source = new Database(`${FIXTURE}db.sqlite3`, { readonly: true });
    const rows = source
      .prepare<[], { id: number; password: string; username: string; email: string; is_active: number }>(
        "SELECT id, password, username, email, is_active FROM auth_user",
      )
      .all();
    const tokens = source.prepare<[], { key: string; user_id: number }>("SELECT key, user_id FROM authtoken_token").all();
    source.close();
    for (const row of rows) {
      await client.query("INSERT INTO auth_user VALUES ($1, $2, false, $3, $4, false, $5, now())", [
        row.id,
        row.password,
        row.username,
        row.email,
        row.is_active === 1,
      ]);
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
      const missing = await runCli(["admin", "import-django", "--from", `sqlite://${dir.path}/nope.sqlite3`, "--data-dir", dir.path], {
        env,
      });
      assert.equal(missing.exitCode, 2, missing.stderr);
      assert.match(missing.stderr, /does not exist/);
    } finally {
      await dir.remove();
    }
  });
});

interface AddedRow {
  username: string;
  email: string;
  password: string;
}

/** A copy of the real Django database with `rows` added to its auth_user, as rows can be there whatever Django's forms allow. */
async function djangoWith(dir: string, rows: AddedRow[]): Promise<string> {
  const path = join(dir, "django.sqlite3");
  await copyFile(`${FIXTURE}db.sqlite3`, path);
  const db = new Database(path);
  const insert = db.prepare<
    [string, string, string]
  >(`INSERT INTO auth_user (password, username, email, is_superuser, is_staff, is_active, last_name, first_name, date_joined)
    VALUES (?, ?, ?, 0, 0, 1, '', '', '2024-05-01 12:00:00')`);
  db.transaction(() => {
    for (const row of rows) insert.run(row.password, row.username, row.email);
  })();
  db.close();
  return `sqlite://${path}`;
}

/** A hash as Django's PBKDF2PasswordHasher writes it, at a cost that keeps the test quick. */
const pbkdf2Hash = (password: string, iterations = 1000) =>
  `pbkdf2_sha256$${iterations}$salt$${pbkdf2Sync(password, "salt", iterations, 32, "sha256").toString("base64")}`;

/** Django's ScryptPasswordHasher format; the memory is 128·N·r bytes. */
const scryptHash = (password: string, N: number, r: number) =>
  `scrypt$${N}$salt$${r}$1$${scryptSync(password, "salt", 64, { N, r, p: 1, maxmem: 256 * N * r }).toString("base64")}`;

describe("importing rows beyond import-django's limits", () => {
  const env = { AUTHCTL_DATABASE_URL: undefined, AUTHCTL_SECRET_KEY: undefined, AUTHCTL_BCRYPT_COST: "4" };
  // Salt and hash of a bcrypt string: never computed, only its cost is read at import.
  const bcryptTail = "$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./a";
  const row = (username: string, password = pbkdf2Hash("pw")): AddedRow => ({
    username,
    email: `${username.slice(0, 20)}@example.com`,
    password,
  });

  it("skips each row whose hash or fields are beyond the limits, listing it with its reason in text and --json, and imports the rest", async () => {
    const refused: (AddedRow & { shown: string; reason: string })[] = [
      {
        ...row("scrypt1g", "scrypt$1048576$salt$8$1$aGFzaA=="),
        shown: "scrypt1g",
        reason: "its scrypt hash needs 1024 MiB of memory, more than 128 MiB",
      },
      {
        ...row("argon2g", "argon2$argon2id$v=19$m=2097152,t=2,p=8$c2FsdA$aGFzaA"),
        shown: "argon2g",
        reason: "its argon2 hash needs 2048 MiB of memory, more than 128 MiB",
      },
      { ...row("bcrypt20", `bcrypt$$2b$20${bcryptTail}`), shown: "bcrypt20", reason: "its bcrypt hash has cost 20, more than 16" },
      {
        ...row("bcryptsha20", `bcrypt_sha256$$2b$20${bcryptTail}`),
        shown: "bcryptsha20",
        reason: "its bcrypt_sha256 hash has cost 20, more than 16",
      },
      {
        ...row("pbkdf2x20m", "pbkdf2_sha256$20000000$salt$aGFzaA=="),
        shown: "pbkdf2x20m",
        reason: "its pbkdf2_sha256 hash has 20000000 iterations, more than 10000000",
      },
      {
        ...row("hugehash", `pbkdf2_sha256$1000$salt$${"A".repeat(5000)}`),
        shown: "hugehash",
        reason: "its password hash is 5024 characters, more than 4096",
      },
      {
        ...row("x".repeat(10 * 1024 * 1024)),
        shown: `${"x".repeat(150)}…`,
        reason: "its username is 10485760 characters, more than Django's 150",
      },
      { ...row(""), email: "empty@example.com", shown: "", reason: "its username is empty" },
      { ...row("nul\u0000user"), shown: "nul\\u0000user", reason: "its username contains a control character (U+0000)" },
      { ...row("esc\u001b[2Juser"), shown: "esc\\u001b[2Juser", reason: "its username contains a control character (U+001B)" },
      {
        ...row("longmail"),
        email: `${"m".repeat(243)}@example.com`,
        shown: "longmail",
        reason: "its email is 255 characters, more than Django's 254",
      },
    ];
    // Right at the limits: imported.
    const atLimits = [
      row("u".repeat(150), pbkdf2Hash("bound pass")),
      row("pbkdf2x10m", "pbkdf2_sha256$10000000$salt$aGFzaA=="),
      row("bcrypt16", `bcrypt$$2b$16${bcryptTail}`),
    ];
    const dir = await tempDir();
    try {
      const from = await djangoWith(dir.path, [...refused, ...atLimits]);
      const first = await runCli(["admin", "import-django", "--from", from, "--data-dir", dir.path], { env });
      assert.equal(first.exitCode, 0, first.stderr.slice(0, 2000));
      assert.ok(first.stderr.length < 16_384, `the output is ${first.stderr.length} characters: a username was not cut`);
      assert.match(first.stderr, /imported 13, already there 0, skipped 12/);
      for (const { shown, reason } of refused)
        assert.ok(first.stderr.includes(`  skipped ${shown}: ${reason}\n`), `${shown.slice(0, 20)}: ${reason}`);
      assert.match(first.stderr, /skipped dup2: its email belongs to Dup here/);

      const again = await runCli(["admin", "import-django", "--from", from, "--data-dir", dir.path, "--json"], { env });
      assert.equal(again.exitCode, 0, again.stderr.slice(0, 2000));
      const summary = JSON.parse(again.stdout) as {
        users: { read: number; imported: number; alreadyThere: number; skipped: number };
        skipped: { username: string; reason: string }[];
      };
      assert.deepEqual(summary.users, { read: 25, imported: 0, alreadyThere: 13, skipped: 12 });
      assert.deepEqual(summary.skipped, [
        ...refused.map(({ shown, reason }) => ({ username: shown, reason })),
        { username: "dup2", reason: "its email belongs to Dup here" },
      ]);

      const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path });
      try {
        await assertDjangoUsersLogIn(server.url);
        assert.equal(
          (await post(`${server.url}/account/login/`, { username: "u".repeat(150), password: "bound pass" })).status,
          200,
          "a 150-character username logs in",
        );
      } finally {
        await server.stop();
      }
    } finally {
      await dir.remove();
    }
  });

  it("answers a login against a stored hash beyond the limits as a failed login, even with the right password", async () => {
    const dir = await tempDir();
    try {
      const run = await runCli(["admin", "import-django", "--from", DJANGO_DB, "--data-dir", dir.path], { env });
      assert.equal(run.exitCode, 0, run.stderr);
      // Stored behind the import's back, as an older authctl's import could have: 144 MiB, over the 128 MiB limit.
      const db = new Database(join(dir.path, "authctl.sqlite3"));
      const setHash = db.prepare<[string, string]>("UPDATE users SET password = ? WHERE username = ?");
      setHash.run(scryptHash("pbkdf2 pass", 2 ** 17, 9), "pbkdf2user");
      setHash.run(scryptHash("sha1 pass", 2 ** 14, 8), "sha1user");
      db.close();
      const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path });
      try {
        const beyond = await post(`${server.url}/account/login/`, { username: "pbkdf2user", password: "pbkdf2 pass" });
        assert.deepEqual([beyond.status, beyond.body], [400, { non_field_errors: ["Unable to log in with provided credentials."] }]);
        const within = await post(`${server.url}/account/login/`, { username: "sha1user", password: "sha1 pass" });
        assert.equal(within.status, 200, "a scrypt hash within the limits logs in");
      } finally {
        await server.stop();
      }
    } finally {
      await dir.remove();
    }
  });
});
