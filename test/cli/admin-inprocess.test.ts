import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, it } from "node:test";
import { loadConfig, silentLogger, startServer, type admin as serverAdmin } from "@authctl/server";
import { AdminRefused, ExitCode, UsageError } from "../../packages/cli/src/errors.js";
import { terminalPrompter } from "../../packages/cli/src/prompter.js";
import {
  runCopy,
  runCreateUser,
  runImportDjango,
  runListUsers,
  runRevokeTokens,
  runRotateKey,
  runSetActive,
  runSetPassword,
  type CreateUserOptions,
} from "../helpers/admin.js";
import { createEmptyDatabase } from "../helpers/database.js";
import { fakeContext, type FakeRun, type FakeSetup } from "../helpers/fakes.js";
import { post } from "../helpers/http.js";
import { assertSameSecret } from "../helpers/secrets.js";
import { tempDir } from "../helpers/temp.js";

// The admin commands in process, through the Context seam, on a real SQLite data
// directory; test/cli/admin.test.ts runs the same commands through the binary.
// Passwords below are test values; assertions never put one (or a token) in a message.

type ListedUser = serverAdmin.ListedUser;

const FIXTURE = fileURLToPath(new URL("../fixtures/django/", import.meta.url));
const DJANGO_DB = `sqlite://${FIXTURE}db.sqlite3`;
const PASSWORD = { ada: "ada-pass-1", bob: "bob-pass-1", root: "root-pass-1" } as const;

let root: Awaited<ReturnType<typeof tempDir>>;
/** The data directory every command and server works on, unless told otherwise. */
let dataDir: string;

/** A fake Context (scripted prompter, captured output) whose admin commands use the real SQLite database in `dataDir`. */
function admin(setup: Omit<FakeSetup, "dir"> = {}): FakeRun {
  return fakeContext({ ...setup, dir: root.path, env: { AUTHCTL_DATA_DIR: dataDir, AUTHCTL_BCRYPT_COST: "4", ...setup.env } });
}

/** The same, with the real prompter and no terminal: a missing value is a usage error, as in a script. */
function adminWithoutTerminal(): FakeRun {
  const run = admin({ stdin: "" });
  return { ...run, ctx: { ...run.ctx, prompter: terminalPrompter({ input: run.ctx.stdin, output: new PassThrough() }) } };
}

/** `create-user NAME -e NAME@example.com --password-stdin --json [flags]`: the created user and everything printed. */
async function createUser(username: keyof typeof PASSWORD, options: Partial<CreateUserOptions> = {}) {
  const run = admin({ stdin: PASSWORD[username], json: true });
  await runCreateUser(username, { email: `${username}@example.com`, passwordStdin: true, ...options }, run.ctx);
  return { created: (JSON.parse(run.stdout()) as { created: ListedUser }).created, printed: run.stdout() + run.stderr() };
}

async function listUsersJson(options: { dataDir?: string } = {}): Promise<{ users: ListedUser[]; printed: string }> {
  const run = admin({ json: true });
  await runListUsers(options, run.ctx);
  return { users: JSON.parse(run.stdout()) as ListedUser[], printed: run.stdout() + run.stderr() };
}

/** Runs a command with --json and returns its parsed result. */
async function jsonResult<T>(command: (ctx: FakeRun["ctx"]) => Promise<void>, setup: Omit<FakeSetup, "dir"> = {}): Promise<T> {
  const run = admin({ ...setup, json: true });
  await command(run.ctx);
  return JSON.parse(run.stdout()) as T;
}

/** The real server, in this process, on `dataDir` (as `npm start` would open it), for the duration of `work`. */
async function withServer<T>(work: (url: string) => Promise<T>, env: NodeJS.ProcessEnv = {}): Promise<T> {
  const config = loadConfig({
    AUTHCTL_DATA_DIR: dataDir,
    AUTHCTL_HOST: "127.0.0.1",
    AUTHCTL_PORT: "0",
    AUTHCTL_BCRYPT_COST: "4",
    AUTHCTL_WORKERS: "1",
    ...env,
  });
  const server = await startServer(config, silentLogger);
  try {
    return await work(server.url);
  } finally {
    await server.close();
  }
}

async function login(url: string, username: string, password: string): Promise<{ status: number; token: string }> {
  const { status, body } = await post(`${url}/account/login/`, { username, password });
  return { status, token: status === 200 ? (body as { token: string }).token : "" };
}

async function me(url: string, token: string): Promise<number> {
  return (await fetch(`${url}/account/me/`, { headers: { authorization: `Token ${token}` } })).status;
}

/** Asserts that `printed` holds none of `secrets`, without saying what they are. */
function assertNoSecrets(printed: string, secrets: readonly string[], what: string): void {
  secrets.forEach((secret, index) => {
    assert.ok(!printed.includes(secret), `${what} holds secret #${index + 1}`);
  });
}

/** Files under `dir` this process holds open (Linux). */
function openFilesUnder(dir: string): string[] {
  const fds = readdirSync("/proc/self/fd");
  return fds
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return "";
      }
    })
    .filter((path) => path.startsWith(dir));
}

const HASH = /bcrypt_sha256|pbkdf2_sha|argon2|scrypt\$|\$2[aby]\$/;

function flagsOf(user: ListedUser | undefined) {
  return (
    user && {
      username: user.username,
      email: user.email,
      isActive: user.isActive,
      isStaff: user.isStaff,
      isSuperuser: user.isSuperuser,
      usablePassword: user.usablePassword,
    }
  );
}

describe("authctl admin in process, on a real SQLite data directory", () => {
  beforeEach(async () => {
    root = await tempDir("authctl-admin-inprocess-");
    dataDir = join(root.path, "data");
  });
  afterEach(() => root.remove());

  it("create-user makes a user, a staff user and a superuser, and list-users shows them without a hash", async () => {
    await createEmptyDatabase(dataDir);
    assert.deepEqual((await listUsersJson()).users, [], "a new database lists no one");
    const ada = await createUser("ada");
    const bob = await createUser("bob", { staff: true });
    const human = admin({ stdin: PASSWORD.root });
    await runCreateUser("root", { email: "root@example.com", superuser: true, passwordStdin: true }, human.ctx);
    assert.equal(human.stderr(), "✓ Created superuser root <root@example.com>\n");
    assert.equal(human.stdout(), "");
    assert.deepEqual(flagsOf(ada.created), {
      username: "ada",
      email: "ada@example.com",
      isActive: true,
      isStaff: false,
      isSuperuser: false,
      usablePassword: true,
    });
    assert.deepEqual([bob.created.isStaff, bob.created.isSuperuser], [true, false]);
    assert.ok(Number.isInteger(ada.created.id) && bob.created.id > ada.created.id, "ids are increasing integers");

    const listed = await listUsersJson();
    assert.deepEqual(listed.users.map(flagsOf), [
      flagsOf(ada.created),
      flagsOf(bob.created),
      { username: "root", email: "root@example.com", isActive: true, isStaff: true, isSuperuser: true, usablePassword: true },
    ]);
    assert.ok(
      listed.users.every((user) => !("password" in user) && !("passwordHash" in user)),
      "a listed user has a password field",
    );
    const table = admin();
    await runListUsers({}, table.ctx);
    assert.match(table.stdout(), /^ada\tada@example\.com\tactive\t\d{4}-\d\d-\d\dT/m);
    assert.match(table.stdout(), /^bob\tbob@example\.com\tactive,staff\t/m);
    assert.match(table.stdout(), /^root\troot@example\.com\tactive,staff,superuser\t/m);
    assert.equal(table.stderr(), `3 users in ${join(dataDir, "authctl.sqlite3")}\n`);
    for (const printed of [ada.printed, bob.printed, human.stdout() + human.stderr(), listed.printed, table.stdout()]) {
      assert.ok(!HASH.test(printed), "a password hash was printed");
    }
    for (const printed of [ada.printed, bob.printed, human.stdout() + human.stderr(), listed.printed, table.stdout() + table.stderr()]) {
      assertNoSecrets(printed, Object.values(PASSWORD), "an admin command's output");
    }
  });

  it("refuses a missing database with exit 2 naming the path and --data-dir, creating nothing; create-user says it creates one", async () => {
    const typo = join(root.path, "typo");
    for (const command of [
      (ctx: FakeRun["ctx"]) => runListUsers({}, ctx),
      (ctx: FakeRun["ctx"]) => runListUsers({ dataDir: typo }, ctx),
      (ctx: FakeRun["ctx"]) => runSetActive(false, "nobody", { dataDir: typo }, ctx),
      (ctx: FakeRun["ctx"]) => runRevokeTokens({ all: true, dataDir: typo }, ctx),
    ]) {
      await assert.rejects(command(admin().ctx), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.exitCode, ExitCode.usage);
        assert.match(error.message, /^no database at \/.*\/(data|typo)\/authctl\.sqlite3$/);
        assert.match(error.hint ?? "", /--data-dir/);
        return true;
      });
    }
    assert.ok(!existsSync(dataDir) && !existsSync(typo), "a data directory was created");
    const run = admin({ stdin: PASSWORD.ada });
    await runCreateUser("ada", { email: "ada@example.com", passwordStdin: true }, run.ctx);
    assert.match(run.stderr(), new RegExp(`^Created a new database at ${join(dataDir, "authctl.sqlite3")}\n`));
    assert.deepEqual(
      (await listUsersJson()).users.map((user) => user.username),
      ["ada"],
    );
  });

  it("create-user --json prints no password", async () => {
    const { created, printed } = await createUser("ada");
    assert.ok(!("password" in created), "the created user has a password field");
    assertNoSecrets(printed, [PASSWORD.ada], "create-user's output");
  });

  it("leaves no database file open after a command", { skip: process.platform !== "linux" && "reads /proc/self/fd" }, async () => {
    await createUser("ada");
    await runListUsers({}, admin().ctx);
    assert.deepEqual(openFilesUnder(root.path), [], "files of the data directory are still open");
  });

  it("refuses a taken username or a taken email in any ASCII case: AdminRefused, exit 1, nothing changed", async () => {
    await createUser("ada");
    const sameName = runCreateUser("ada", { email: "other@example.com", passwordStdin: true }, admin({ stdin: "x-pass" }).ctx);
    await assert.rejects(sameName, (error) => {
      assert.ok(error instanceof AdminRefused);
      assert.deepEqual([error.exitCode, error.code, error.message], [ExitCode.refused, "admin_refused", "a user named ada already exists"]);
      return true;
    });
    const sameEmail = runCreateUser("ada2", { email: "ADA@Example.COM", passwordStdin: true }, admin({ stdin: "x-pass" }).ctx);
    await assert.rejects(sameEmail, { name: "AdminRefused", exitCode: 1, message: "ADA@Example.COM is already the email of ada" });
    assert.deepEqual(
      (await listUsersJson()).users.map((user) => user.username),
      ["ada"],
    );
  });

  it("refuses commands on a user who does not exist, with a hint to list them", async () => {
    const unknown = {
      name: "AdminRefused",
      exitCode: ExitCode.refused,
      message: "no user named nobody",
      hint: "list them with: authctl admin list-users",
    };
    await createEmptyDatabase(dataDir);
    await assert.rejects(runSetActive(false, "nobody", {}, admin().ctx), unknown);
    await assert.rejects(runSetPassword("nobody", { passwordStdin: true }, admin({ stdin: "x-pass" }).ctx), unknown);
    await assert.rejects(runRevokeTokens({ user: "nobody" }, admin().ctx), unknown);
  });

  it("without a terminal, a missing email or password is a UsageError naming the flag, before the database is touched", async () => {
    const usage = (flag: string) => ({
      name: "UsageError",
      exitCode: ExitCode.usage,
      message: `${flag} is required when not running in a terminal`,
    });
    await assert.rejects(runCreateUser("eve", {}, adminWithoutTerminal().ctx), usage("--email"));
    await assert.rejects(runCreateUser("eve", { email: "eve@example.com" }, adminWithoutTerminal().ctx), usage("--password-stdin"));
    await assert.rejects(runSetPassword("eve", {}, adminWithoutTerminal().ctx), usage("--password-stdin"));
    assert.equal(existsSync(dataDir), false, "the data directory was created");
  });

  it("rejects bad values with UsageErrors (exit 2)", async () => {
    const usage = (message: RegExp) => (error: unknown) => error instanceof UsageError && message.test(error.message);
    await assert.rejects(
      runCreateUser("eve", { email: "", passwordStdin: true }, admin({ stdin: "x-pass" }).ctx),
      usage(/^--email must not be empty$/),
    );
    await assert.rejects(
      runCreateUser("eve", { email: "not-an-email", passwordStdin: true }, admin({ stdin: "x-pass" }).ctx),
      usage(/is not a valid email address/),
    );
    await assert.rejects(
      runCreateUser("eve smith", { email: "eve@example.com", passwordStdin: true }, admin({ stdin: "x-pass" }).ctx),
      usage(/a username has 1 to 150 letters/),
    );
    await assert.rejects(
      runCreateUser("eve", { email: "eve@example.com", passwordStdin: true }, admin({ stdin: "" }).ctx),
      usage(/--password-stdin was given but stdin was empty/),
    );
    // A terminal on stdin: the password must be piped, not typed into it.
    await assert.rejects(
      runSetPassword("eve", { passwordStdin: true }, admin().ctx),
      usage(/--password-stdin needs the password piped in/),
    );
    const typedTwice = admin({ answers: ["eve@example.com", "one-pass", "another-pass"] });
    await assert.rejects(runCreateUser("eve", {}, typedTwice.ctx), usage(/^the two passwords differ$/));
    assert.deepEqual(typedTwice.prompter.asked, ["Email", "New password for eve", "New password for eve (again)"]);
    await assert.rejects(runRevokeTokens({}, admin().ctx), usage(/give exactly one of --user NAME or --all/));
    await assert.rejects(runRevokeTokens({ user: "eve", all: true }, admin().ctx), usage(/give exactly one of --user NAME or --all/));
    await assert.rejects(runImportDjango({}, admin().ctx), usage(/--from is required/));
    await assert.rejects(
      runImportDjango({ from: `sqlite://${root.path}/nope.sqlite3` }, admin().ctx),
      usage(/nope\.sqlite3 does not exist/),
    );
    await assert.rejects(runCopy({}, admin().ctx), usage(/--from is required/));
    await assert.rejects(
      runCopy({ from: `sqlite://${root.path}/nope.sqlite3`, to: `sqlite://${root.path}/other` }, admin().ctx),
      usage(/nope\.sqlite3 does not exist/),
    );
    await assert.rejects(runRotateKey({ newKeyStdin: true }, admin({ stdin: "abcd" }).ctx), usage(/the new key must be 32 bytes/));
    await assert.rejects(
      runListUsers({}, admin({ env: { AUTHCTL_DATABASE_URL: "mysql://db/x" } }).ctx),
      usage(/^AUTHCTL_DATABASE_URL must be a postgres:\/\/ URL/),
    );
    assert.deepEqual((await listUsersJson()).users, [], "no user was created");
  });

  it("set-password: the new password logs in through the server, the old one no longer does, and the token stays", async () => {
    await createUser("ada");
    await withServer(async (url) => {
      const before = await login(url, "ada", PASSWORD.ada);
      assert.equal(before.status, 200);
      const typed = admin({ answers: ["ada-pass-2", "ada-pass-2"], json: true });
      await runSetPassword("ada", {}, typed.ctx);
      assert.deepEqual(typed.prompter.asked, ["New password for ada", "New password for ada (again)"]);
      assert.deepEqual(JSON.parse(typed.stdout()), { username: "ada", passwordChanged: true });
      assert.equal((await login(url, "ada", PASSWORD.ada)).status, 400);
      const after = await login(url, "ada", "ada-pass-2");
      assert.equal(after.status, 200);
      assertSameSecret(after.token, before.token, "ada's token after set-password");
      assert.equal(await me(url, before.token), 200);
    });
  });

  it("deactivate makes login and the token fail until activate; repeating one changes nothing", async () => {
    await createUser("ada");
    await withServer(async (url) => {
      const { token } = await login(url, "ada", PASSWORD.ada);
      const deactivated = await jsonResult((ctx) => runSetActive(false, "ada", {}, ctx));
      assert.deepEqual(deactivated, { username: "ada", isActive: false, changed: true });
      assert.equal(await me(url, token), 401);
      assert.equal((await login(url, "ada", PASSWORD.ada)).status, 400);
      const again = admin();
      await runSetActive(false, "ada", {}, again.ctx);
      assert.equal(again.stderr(), "ada was already inactive; nothing changed\n");
      assert.deepEqual(
        (await listUsersJson()).users.map((user) => user.isActive),
        [false],
      );
      const activated = admin();
      await runSetActive(true, "ada", {}, activated.ctx);
      assert.equal(activated.stderr(), "✓ ada is now active\n");
      assert.equal(await me(url, token), 200);
    });
  });

  it("revoke-tokens --user deletes that user's token only, --all every other", async () => {
    await createUser("ada");
    await createUser("root", { superuser: true });
    await withServer(async (url) => {
      const ada = (await login(url, "ada", PASSWORD.ada)).token;
      const rootToken = (await login(url, "root", PASSWORD.root)).token;
      assert.deepEqual(await jsonResult((ctx) => runRevokeTokens({ user: "ada" }, ctx)), { revoked: 1, user: "ada" });
      assert.deepEqual([await me(url, ada), await me(url, rootToken)], [401, 200]);
      assert.deepEqual(await jsonResult((ctx) => runRevokeTokens({ all: true }, ctx)), { revoked: 1, user: null });
      assert.equal(await me(url, rootToken), 401);
      const none = admin();
      await runRevokeTokens({ all: true }, none.ctx);
      assert.equal(none.stderr(), "✓ Revoked 0 tokens of every user\n");
      const fresh = await login(url, "ada", PASSWORD.ada);
      assert.equal(await me(url, fresh.token), 200, "a new login gets a working token");
    });
  });

  it("rotate-key re-seals every token: they work after a restart, and the old key no longer opens the database", async () => {
    await createUser("ada");
    await createUser("root");
    const tokens = await withServer(async (url) => [
      (await login(url, "ada", PASSWORD.ada)).token,
      (await login(url, "root", PASSWORD.root)).token,
    ]);
    const keyFile = join(dataDir, "secret.key");
    const oldKey = readFileSync(keyFile, "utf8");
    const rotated = await jsonResult<serverAdmin.RotationSummary>((ctx) => runRotateKey({}, ctx));
    assert.deepEqual([rotated.resealed, rotated.unopenable, rotated.keyWrittenTo], [2, 0, keyFile]);
    assert.match(rotated.fingerprint, /^[0-9a-f]{32}$/);
    assert.ok(readFileSync(keyFile, "utf8") !== oldKey, "secret.key still holds the old key");
    assert.deepEqual(
      readdirSync(dataDir).filter((name) => name.includes("secret.key")),
      ["secret.key"],
      "a pending key file was left behind",
    );
    await withServer(async (url) => {
      for (const token of tokens) assert.equal(await me(url, token), 200);
      assertSameSecret((await login(url, "ada", PASSWORD.ada)).token, tokens[0] ?? "", "ada's token after rotate-key");
    });
    await assert.rejects(
      withServer(() => Promise.resolve(), { AUTHCTL_SECRET_KEY: oldKey.trim() }),
      /is not the key that sealed them/,
    );
  });

  it("rotate-key refuses a database a server is using: the server would replace every re-sealed token", async () => {
    await createUser("ada");
    const keyFile = join(dataDir, "secret.key");
    await withServer(async (url) => {
      const { token } = await login(url, "ada", PASSWORD.ada);
      const oldKey = readFileSync(keyFile, "utf8");
      await assert.rejects(runRotateKey({}, admin().ctx), {
        name: "AdminRefused",
        message: /in use by \d server process(es)? \(\S+ pid \d+/,
      });
      assert.equal(readFileSync(keyFile, "utf8"), oldKey, "the key is unchanged");
      assert.equal(await me(url, token), 200);
      assertSameSecret((await login(url, "ada", PASSWORD.ada)).token, token, "ada keeps her token");
    });
  });

  it("rotate-key with AUTHCTL_SECRET_KEY takes the new key from stdin and leaves secret.key alone", async () => {
    await createUser("ada");
    const token = await withServer(async (url) => (await login(url, "ada", PASSWORD.ada)).token);
    const keyFile = join(dataDir, "secret.key");
    const env = { AUTHCTL_SECRET_KEY: readFileSync(keyFile, "utf8").trim() };
    await assert.rejects(runRotateKey({}, admin({ env }).ctx), {
      name: "UsageError",
      message: /give the new key on stdin with --new-key-stdin/,
    });
    const newKey = "ab".repeat(32);
    const rotate = admin({ env, stdin: `${newKey}\n` });
    await runRotateKey({ newKeyStdin: true }, rotate.ctx);
    assert.match(rotate.stderr(), /Re-sealed 1 tokens under the new key in AUTHCTL_SECRET_KEY \(set it to the new key/);
    assert.equal(readFileSync(keyFile, "utf8").trim(), env.AUTHCTL_SECRET_KEY, "secret.key was rewritten");
    assert.equal(await withServer((url) => me(url, token), { AUTHCTL_SECRET_KEY: newKey }), 200);
  });

  it("import-django imports the fixture's users and tokens; a second run says nothing changed", async () => {
    const first = await jsonResult<serverAdmin.ImportSummary>((ctx) => runImportDjango({ from: DJANGO_DB }, ctx));
    assert.deepEqual(
      [first.users, first.tokens, first.changed],
      [{ read: 11, imported: 10, alreadyThere: 0, skipped: 1 }, { imported: 8, alreadyThere: 0 }, true],
    );
    assert.deepEqual(first.skipped, [{ username: "dup2", reason: "its email belongs to Dup here" }]);
    const again = admin();
    await runImportDjango({ from: DJANGO_DB }, again.ctx);
    assert.match(again.stderr(), /imported 0, already there 10, skipped 1\n {2}tokens imported 0, already there 8\n/);
    assert.match(again.stderr(), /Nothing changed in .*authctl\.sqlite3: everything was imported before\n$/);
    const { users, printed } = await listUsersJson();
    assert.ok(!HASH.test(printed), "list-users printed a password hash");
    const byName = new Map(users.map((user) => [user.username, user]));
    assert.deepEqual(
      [byName.get("admin")?.isSuperuser, byName.get("retired")?.isActive, byName.get("nopassword")?.usablePassword],
      [true, false, false],
    );
    const fixture = JSON.parse(readFileSync(`${FIXTURE}users.json`, "utf8")) as {
      users: { username: string; password: string | null; token: string | null }[];
    };
    const django = fixture.users.find((user) => user.username === "admin");
    assert.ok(django?.password && django.token, "the fixture has an admin with a password and a token");
    await withServer(async (url) => {
      const answer = await login(url, "admin", django.password ?? "");
      assert.equal(answer.status, 200);
      assertSameSecret(answer.token, django.token ?? "", "the token Django issued to admin");
    });
  });

  it("copy moves a data directory into an empty database, verified by counts, and refuses one that is not empty", async () => {
    await createUser("ada");
    await createUser("root", { superuser: true });
    const token = await withServer(async (url) => (await login(url, "ada", PASSWORD.ada)).token);
    const otherDir = join(root.path, "other");
    await createEmptyDatabase(otherDir);
    assert.deepEqual((await listUsersJson({ dataDir: otherDir })).users, [], "--data-dir wins over AUTHCTL_DATA_DIR");
    const copy = { from: `sqlite://${dataDir}`, to: `sqlite://${otherDir}` };
    const summary = await jsonResult<serverAdmin.CopySummary>((ctx) => runCopy(copy, ctx));
    assert.deepEqual(summary, {
      from: join(dataDir, "authctl.sqlite3"),
      to: join(otherDir, "authctl.sqlite3"),
      users: 2,
      tokens: 1,
      verified: true,
    });
    assert.deepEqual((await listUsersJson({ dataDir: otherDir })).users.map(flagsOf), (await listUsersJson()).users.map(flagsOf));
    await assert.rejects(runCopy(copy, admin().ctx), {
      name: "AdminRefused",
      message: /already holds 2 users: copy only into an empty database/,
    });
    // The copy's tokens open with the source's key, as the command says.
    const env = { AUTHCTL_DATA_DIR: otherDir, AUTHCTL_SECRET_KEY: readFileSync(join(dataDir, "secret.key"), "utf8").trim() };
    assert.equal(await withServer((url) => me(url, token), env), 200);
  });

  it("copy refuses a source a server is using; --allow-live-source copies one consistent snapshot while it serves", async () => {
    await createUser("ada");
    const otherDir = join(root.path, "other");
    const copy = { from: `sqlite://${dataDir}`, to: `sqlite://${otherDir}` };
    await withServer(async (url) => {
      await assert.rejects(runCopy(copy, admin().ctx), { name: "AdminRefused", message: /in use by 1 server process/ });
      assert.ok(!existsSync(otherDir), "nothing was written to the target");
      await createEmptyDatabase(otherDir);
      // Registrations and logouts go on during the copy: the copy is one moment of the source, never a mix.
      const done = new AbortController();
      const traffic = (async () => {
        for (let i = 0; !done.signal.aborted; i++) {
          const { body } = await post(`${url}/account/register/`, {
            username: `u${i}`,
            email: `u${i}@example.com`,
            password: "pw-u-1",
            password2: "pw-u-1",
          });
          if (i % 2 === 0) await post(`${url}/account/logout/`, undefined, { authorization: `Token ${(body as { token: string }).token}` });
        }
      })();
      try {
        const summary = await jsonResult<serverAdmin.CopySummary>((ctx) => runCopy({ ...copy, allowLiveSource: true }, ctx));
        assert.equal(summary.verified, true);
        const copied = (await listUsersJson({ dataDir: otherDir })).users;
        assert.equal(copied.length, summary.users);
      } finally {
        done.abort();
        await traffic;
      }
    });
  });
});
