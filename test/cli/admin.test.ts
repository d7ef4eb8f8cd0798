import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { configDir, runCli, type CliResult } from "../helpers/cli.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { post, registration, spawnServer, type ServerProcess } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";

const NO_DATABASE_URL = { AUTHCTL_DATABASE_URL: undefined, AUTHCTL_SECRET_KEY: undefined, AUTHCTL_BCRYPT_COST: "4" };

async function login(url: string, username: string, password: string) {
  return post(`${url}/account/login/`, { username, password });
}

async function me(url: string, token: string): Promise<number> {
  return (await fetch(`${url}/account/me/`, { headers: { authorization: `Token ${token}` } })).status;
}

/** The --json output of a command that succeeded. */
function json(result: CliResult): unknown {
  assert.equal(result.exitCode, 0, result.stderr);
  return JSON.parse(result.stdout);
}

const SUBCOMMANDS = [
  "create-user",
  "set-password",
  "activate",
  "deactivate",
  "revoke-tokens",
  "send-reset",
  "list-users",
  "rotate-key",
  "copy",
  "import-django",
];

it("gives every admin subcommand --help with examples and --json", async () => {
  const group = await runCli(["admin", "--help"]);
  assert.equal(group.exitCode, 0);
  for (const name of SUBCOMMANDS) assert.match(group.stdout, new RegExp(`\\n  ${name}\\b`));
  for (const name of SUBCOMMANDS) {
    const result = await runCli(["admin", name, "--help"]);
    assert.equal(result.exitCode, 0, name);
    assert.match(result.stdout, new RegExp(`Usage: authctl admin ${name} `));
    assert.match(result.stdout, /Examples:\n {2}\$ authctl admin /, name);
    assert.match(result.stdout, /--json/, name);
  }
});

describe("authctl admin", () => {
  let cluster: PostgresCluster;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: ServerProcess | undefined;
  /** The PostgreSQL database the copy test fills, which the next test uses. */
  let copiedTo: string | undefined;
  const admin = (args: string[], input?: string, env: Record<string, string | undefined> = NO_DATABASE_URL) =>
    runCli(["admin", ...args, "--data-dir", dir.path], { env, ...(input === undefined ? {} : { input }) });

  before(async () => {
    cluster = await startPostgres();
    dir = await tempDir();
  });
  after(async () => {
    await server?.stop();
    await cluster.stop();
    await dir.remove();
  });

  it("creates a superuser who logs in through the server, and lists users without hashes", async () => {
    const created = await admin(
      ["create-user", "root", "-e", "root@example.com", "--superuser", "--password-stdin", "--json"],
      "root-pass-1",
    );
    assert.deepEqual((json(created) as { created: { isStaff: boolean; isSuperuser: boolean } }).created.isSuperuser, true);
    server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path });
    assert.equal((await login(server.url, "root", "root-pass-1")).status, 200);
    assert.equal((await post(`${server.url}/account/register/`, registration("ada"))).status, 201);
    const listed = await admin(["list-users", "--json"]);
    const users = json(listed) as Record<string, unknown>[];
    assert.deepEqual(
      users.map((user) => user.username),
      ["root", "ada"],
    );
    assert.ok(users.every((user) => !("password" in user) && !("passwordHash" in user)));
    assert.doesNotMatch(listed.stdout, /bcrypt_sha256/);
    const human = await admin(["list-users"]);
    assert.match(human.stdout, /^root\troot@example\.com\tactive,staff,superuser\t/m);
    assert.match(human.stderr, /2 users in /);
  });

  it("refuses a taken username (exit 1), a missing password without a terminal (exit 2)", async () => {
    const taken = await admin(["create-user", "root", "-e", "other@example.com", "--password-stdin", "--json"], "x");
    assert.equal(taken.exitCode, 1);
    assert.deepEqual(JSON.parse(taken.stdout), { error: { code: "admin_refused", message: "a user named root already exists" } });
    const noTty = await admin(["create-user", "eve", "-e", "eve@example.com"]);
    assert.equal(noTty.exitCode, 2);
    assert.match(noTty.stderr, /--password-stdin is required/);
    const unknown = await admin(["deactivate", "nobody"]);
    assert.equal(unknown.exitCode, 1);
    assert.match(unknown.stderr, /no user named nobody/);
    const neither = await admin(["revoke-tokens"]);
    assert.equal(neither.exitCode, 2);
  });

  it("sets a password, deactivates (the token is refused) and activates again", async () => {
    assert.ok(server);
    const token = ((await login(server.url, "ada", "s3cret-pw")).body as { token: string }).token;
    assert.equal((await admin(["set-password", "ada", "--password-stdin"], "new-pass-2")).exitCode, 0);
    assert.equal((await login(server.url, "ada", "s3cret-pw")).status, 400);
    assert.deepEqual((await login(server.url, "ada", "new-pass-2")).body, { token });
    const config = await configDir();
    const cli = (args: string[], input?: string) =>
      runCli(args, { env: { AUTHCTL_CONFIG_DIR: config.path, AUTHCTL_URL: server?.url }, ...(input === undefined ? {} : { input }) });
    assert.equal((await cli(["login", "--with-token", "--insecure-storage"], token)).exitCode, 0);
    const off = json(await admin(["deactivate", "ada", "--json"])) as { changed: boolean };
    assert.equal(off.changed, true);
    assert.equal(await me(server.url, token), 401);
    const status = await cli(["status"]);
    assert.equal(status.exitCode, 1);
    assert.match(
      status.stdout,
      /✗ token rejected by the server: User inactive or deleted\.\n {4}fix: the account is deactivated on the server: an administrator can reactivate it/,
    );
    assert.doesNotMatch(status.stdout, /fix: authctl login/, "logging in cannot help a deactivated account");
    await config.remove();
    assert.equal((json(await admin(["deactivate", "ada", "--json"])) as { changed: boolean }).changed, false);
    await admin(["activate", "ada"]);
    assert.equal(await me(server.url, token), 200);
  });

  it("revokes one user's token, then every token", async () => {
    assert.ok(server);
    const ada = ((await login(server.url, "ada", "new-pass-2")).body as { token: string }).token;
    const root = ((await login(server.url, "root", "root-pass-1")).body as { token: string }).token;
    assert.deepEqual(json(await admin(["revoke-tokens", "--user", "ada", "--json"])), { revoked: 1, user: "ada" });
    assert.equal(await me(server.url, ada), 401);
    assert.equal(await me(server.url, root), 200);
    assert.equal((json(await admin(["revoke-tokens", "--all", "--json"])) as { revoked: number }).revoked, 1);
    assert.equal(await me(server.url, root), 401);
  });

  it("rotates the key: every token keeps working after a restart, and the old key no longer opens them", async () => {
    assert.ok(server);
    const ada = ((await login(server.url, "ada", "new-pass-2")).body as { token: string }).token;
    const root = ((await login(server.url, "root", "root-pass-1")).body as { token: string }).token;
    await server.stop();
    server = undefined;
    const oldKey = readFileSync(join(dir.path, "secret.key"), "utf8");
    const rotated = json(await admin(["rotate-key", "--json"])) as { resealed: number; unopenable: number };
    assert.deepEqual([rotated.resealed, rotated.unopenable], [2, 0]);
    assert.notEqual(readFileSync(join(dir.path, "secret.key"), "utf8"), oldKey);
    server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path });
    assert.equal(await me(server.url, ada), 200);
    assert.deepEqual((await login(server.url, "ada", "new-pass-2")).body, { token: ada }, "login hands back the same token");
    assert.deepEqual((await login(server.url, "root", "root-pass-1")).body, { token: root });
    await server.stop();
    server = undefined;
    const withOldKey = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_SECRET_KEY: oldKey.trim() }).then(
      (started) => started.stop().then(() => "started"),
      (error: unknown) => String(error),
    );
    assert.match(withOldKey, /not the key that sealed them/);
  });

  it("copies the embedded install to PostgreSQL: counts verified, every token and password still works", async () => {
    const tokens: Record<string, string> = {};
    server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path });
    for (const [name, password] of [
      ["ada", "new-pass-2"],
      ["root", "root-pass-1"],
    ] as const) {
      tokens[name] = ((await login(server.url, name, password)).body as { token: string }).token;
    }
    await server.stop();
    server = undefined;
    const url = (await cluster.createDatabase()).replace("@", ":copy-secret-pw@");
    copiedTo = url;
    // The target comes from the environment: a password on the command line would show in `ps`.
    const copied = await runCli(["admin", "copy", "--from", `sqlite://${dir.path}/authctl.sqlite3`, "--json"], {
      env: { ...NO_DATABASE_URL, AUTHCTL_DATABASE_URL: url },
    });
    const summary = json(copied) as { users: number; tokens: number; verified: boolean; to: string };
    console.log(`admin copy: ${JSON.stringify(summary)}`);
    assert.deepEqual([summary.users, summary.tokens, summary.verified], [2, 2, true]);
    assert.doesNotMatch(copied.stdout + copied.stderr, /copy-secret-pw/);
    const again = await runCli(["admin", "copy", "--from", `sqlite://${dir.path}`, "--to", url], { env: NO_DATABASE_URL });
    assert.equal(again.exitCode, 1);
    assert.match(again.stderr, /copy only into an empty database/);
    assert.match(again.stderr, /warning: the --to URL holds a password, which other users of this machine can see/);
    assert.doesNotMatch(again.stderr, /copy-secret-pw/);
    server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_DATABASE_URL: url });
    for (const [name, password] of [
      ["ada", "new-pass-2"],
      ["root", "root-pass-1"],
    ] as const) {
      const token = tokens[name] ?? "";
      assert.equal(await me(server.url, token), 200);
      assert.deepEqual((await login(server.url, name, password)).body, { token });
    }
    assert.equal(
      (await post(`${server.url}/account/register/`, registration("newcomer"))).status,
      201,
      "ids continue past the copied ones",
    );
    const listed = json(await admin(["list-users", "--json"], undefined, { ...NO_DATABASE_URL, AUTHCTL_DATABASE_URL: url })) as {
      username: string;
    }[];
    assert.deepEqual(
      listed.map((user) => user.username),
      ["root", "ada", "newcomer"],
    );
  });

  it("on PostgreSQL, rotate-key refuses while a server uses the database, then re-seals every token once it has stopped", async () => {
    assert.ok(server && copiedTo !== undefined, "the server on the PostgreSQL database the test before copied to");
    const ada = ((await login(server.url, "ada", "new-pass-2")).body as { token: string }).token;
    const env = { ...NO_DATABASE_URL, AUTHCTL_DATABASE_URL: copiedTo };
    const refused = await admin(["rotate-key"], undefined, env);
    assert.equal(refused.exitCode, 1, refused.stderr);
    assert.match(refused.stderr, /in use by \d server process(es)? \(\S+ pid \d+/);
    await server.stop();
    server = undefined;
    const rotated = json(await admin(["rotate-key", "--json"], undefined, env)) as { resealed: number };
    assert.equal(rotated.resealed, 3);
    server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_DATABASE_URL: copiedTo });
    assert.equal(await me(server.url, ada), 200, "ada's token works under the new key");
  });

  it("exits 3 when PostgreSQL cannot be reached, naming no password", async () => {
    const secret = randomBytes(8).toString("hex");
    const env = {
      ...NO_DATABASE_URL,
      AUTHCTL_DATABASE_URL: `postgres://u:${secret}@127.0.0.1:1/none`,
      AUTHCTL_PG_CONNECT_TIMEOUT_MS: "2000",
    };
    const result = await admin(["list-users"], undefined, env);
    assert.equal(result.exitCode, 3, result.stderr);
    assert.match(result.stderr, /the database is unavailable: connection refused/);
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(secret));
  });
});
