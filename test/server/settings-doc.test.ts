import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { promisify } from "node:util";
import { SETTINGS_DOC, withSettingsTable } from "../../scripts/settings-table.js";
import { ExitCode } from "../../packages/cli/src/errors.js";
import { ADMIN_EXIT_CODES } from "../../packages/server/src/admin/cli/io.js";
import { SETTINGS, type Setting } from "../../packages/server/src/config.js";
import { SERVER_MAIN } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const settings: Setting[] = Object.values(SETTINGS);

/** `authctl-server ARGS` (the compiled bin), with `input` on its stdin: its output and exit code. */
async function authctlServer(
  args: string[],
  env: Record<string, string> = {},
  input = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const running = run(process.execPath, [SERVER_MAIN, ...args], { env: { PATH: process.env.PATH, ...env } });
    running.child.stdin?.end(input);
    const { stdout, stderr } = await running;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

it("the settings table in docs/configuration.md is the one the schema gives (npm run docs:settings rewrites it)", () => {
  const readme = readFileSync(SETTINGS_DOC, "utf8");
  assert.equal(readme, withSettingsTable(readme), "run npm run docs:settings");
  for (const setting of settings) assert.ok(readme.includes(`| \`${setting.env}\` |`), setting.env);
});

it("authctl-server --help lists every setting: its flag, or its variable when it has none", async () => {
  const help = await authctlServer(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  for (const setting of settings) {
    assert.ok(help.stdout.includes(setting.env), `${setting.env} in --help`);
    if (setting.flag !== undefined) assert.match(help.stdout, new RegExp(`^  ${setting.flag} <value>`, "m"));
  }
  assert.match(help.stdout, /--revoke-all-tokens/);
  assert.match(help.stdout, /authctl-server admin <command>/);
});

it("authctl-server refuses an unknown argument or a bad setting as a usage error (2), naming the flag or variable", async () => {
  const unknown = await authctlServer(["--revoke"]);
  assert.deepEqual([unknown.code, unknown.stderr.trim()], [2, "error: unknown option '--revoke'"]);
  const flag = await authctlServer(["--port", "http"], { AUTHCTL_PORT: "8000" });
  assert.deepEqual([flag.code, flag.stderr.trim()], [2, 'error: --port must be a whole number from 0 to 65535, got "http"']);
  const variable = await authctlServer([], { AUTHCTL_SMTP_URL: "http://mailer:s3cr3t@mail" });
  assert.equal(variable.code, 2);
  assert.match(variable.stderr, /^error: AUTHCTL_SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/);
  assert.doesNotMatch(variable.stderr, /s3cr3t/);
});

it("authctl-server admin runs the admin commands on the database the settings name, with authctl admin's output and exit codes", async () => {
  const dir = await tempDir();
  try {
    const env = { AUTHCTL_DATA_DIR: dir.path, AUTHCTL_BCRYPT_COST: "4" };
    const missing = await authctlServer(["admin", "list-users", "--json"], env);
    assert.equal(missing.code, 2, missing.stderr);
    assert.deepEqual(JSON.parse(missing.stdout), { error: { code: "usage", message: `no database at ${dir.path}/authctl.sqlite3` } });
    const bad = await authctlServer(["admin", "list-users", "--json"], { AUTHCTL_BCRYPT_COST: "3" });
    assert.deepEqual(JSON.parse(bad.stdout), {
      error: { code: "usage", message: 'AUTHCTL_BCRYPT_COST must be a whole number from 4 to 31, got "3"' },
    });

    const created = await authctlServer(
      ["admin", "create-user", "ada", "-e", "ada@example.com", "--superuser", "--password-stdin"],
      env,
      "ada-pass-1\n",
    );
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, `Created a new database at ${dir.path}/authctl.sqlite3\n✓ Created superuser ada <ada@example.com>\n`);
    const listed = await authctlServer(["admin", "list-users", "--json"], env);
    assert.equal(listed.code, 0, listed.stderr);
    const users = JSON.parse(listed.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      users.map(({ username, email, isStaff, isSuperuser }) => ({ username, email, isStaff, isSuperuser })),
      [{ username: "ada", email: "ada@example.com", isStaff: true, isSuperuser: true }],
    );
    assert.ok(!listed.stdout.includes("bcrypt"), "never a password hash");

    const taken = await authctlServer(["admin", "create-user", "ada", "-e", "other@example.com", "--password-stdin", "--json"], env, "x");
    assert.deepEqual(
      [taken.code, JSON.parse(taken.stdout)],
      [1, { error: { code: "admin_refused", message: "a user named ada already exists" } }],
    );
    const unknown = await authctlServer(["admin", "deactivate", "nobody"], env);
    assert.deepEqual(
      [unknown.code, unknown.stderr],
      [1, "error: no user named nobody\nhint: list them with: authctl-server admin list-users\n"],
    );
    const noTerminal = await authctlServer(["admin", "set-password", "ada"], env);
    assert.deepEqual([noTerminal.code, noTerminal.stderr], [2, "error: --password-stdin is required when not running in a terminal\n"]);
    const usage = await authctlServer(["admin", "revoke-tokens", "--json"], env);
    assert.deepEqual(
      [usage.code, JSON.parse(usage.stdout)],
      [2, { error: { code: "usage", message: "give exactly one of --user NAME or --all" } }],
    );
    const unreachable = await authctlServer(["admin", "list-users"], {
      ...env,
      AUTHCTL_DATABASE_URL: "postgres://authctl@127.0.0.1:1/authctl",
      AUTHCTL_PG_CONNECT_TIMEOUT_MS: "2000",
    });
    assert.equal(unreachable.code, 3, unreachable.stderr);
    assert.match(unreachable.stderr, /\nhint: check AUTHCTL_DATABASE_URL and that PostgreSQL is running/);

    const help = await authctlServer(["admin", "create-user", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: authctl-server admin create-user /);
    assert.match(help.stdout, /Examples:\n {2}\$ authctl-server admin create-user /);
  } finally {
    await dir.remove();
  }
});

it("the admin commands' exit codes are the CLI's", () => {
  for (const [name, code] of Object.entries(ADMIN_EXIT_CODES)) assert.equal(ExitCode[name as keyof typeof ExitCode], code, name);
});
