import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { promisify } from "node:util";
import { SETTINGS_DOC, withSettingsTable } from "../../scripts/settings-table.js";
import { SETTINGS, type Setting } from "../../packages/server/src/config.js";
import { SERVER_MAIN } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const settings: Setting[] = Object.values(SETTINGS);

/** `authctl-server ARGS` (the compiled bin), its output and exit code. */
async function authctlServer(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SERVER_MAIN, ...args], { env: { PATH: process.env.PATH, ...env } });
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

it("authctl-server admin runs the admin commands on the database the settings name", async () => {
  const dir = await tempDir();
  try {
    const missing = await authctlServer(["admin", "list-users", "--json"], { AUTHCTL_DATA_DIR: dir.path });
    assert.equal(missing.code, 2, missing.stderr);
    assert.deepEqual(JSON.parse(missing.stdout), { error: { code: "usage", message: `no database at ${dir.path}/authctl.sqlite3` } });
    const bad = await authctlServer(["admin", "list-users", "--json"], { AUTHCTL_BCRYPT_COST: "3" });
    assert.deepEqual(JSON.parse(bad.stdout), { error: { code: "usage", message: 'AUTHCTL_BCRYPT_COST must be a whole number from 4 to 31, got "3"' } });
  } finally {
    await dir.remove();
  }
});
