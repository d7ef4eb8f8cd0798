import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { it } from "node:test";
import { configDir, runCli } from "../helpers/cli.js";

const COMMANDS = [
  "register",
  "login",
  "logout",
  "status",
  "token",
  "switch",
  "password change",
  "password reset",
  "user show",
  "user edit",
  "api",
  "completion",
  "serve",
];

it("prints the version of the CLI package", async () => {
  const { version } = JSON.parse(await readFile(new URL("../../packages/cli/package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  for (const flag of ["--version", "-V", "-v"]) {
    const result = await runCli([flag]);
    assert.deepEqual([result.exitCode, result.stdout], [0, `authctl ${version}\n`]);
    const json = await runCli([flag, "--json"]);
    assert.deepEqual([json.exitCode, JSON.parse(json.stdout)], [0, { version }]);
  }
});

it("points --password at --password-stdin, and prints a usage error once (as JSON with --json)", async () => {
  const dir = await configDir();
  const env = { AUTHCTL_CONFIG_DIR: dir.path };
  const typed = await runCli(["login", "-u", "ada", "--password", "not-a-real-secret"], { env });
  assert.equal(typed.exitCode, 2);
  assert.match(
    typed.stderr,
    /^error: unknown option '--password'\nhint: a password is never taken from an argument .*--password-stdin, or leave it out to be asked\n$/,
  );
  assert.ok(!typed.stderr.includes("not-a-real-secret"), "the argument was echoed");
  const json = await runCli(["bogus", "--json"], { env });
  assert.equal(json.exitCode, 2);
  assert.equal(json.stderr, "", "the JSON error was said again as text");
  assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, "usage");
  await dir.remove();
});

it("documents exit codes and environment in the top-level help", async () => {
  for (const args of [["--help"], ["help"], []]) {
    const result = await runCli(args);
    assert.equal(result.exitCode, 0, args.join(" "));
    assert.match(result.stdout, /Exit codes:\n {2}0 {4}success\n {2}1 .*\n {2}2 .*\n {2}3 .*\n {2}4 .*\n {2}5 .*\n {2}130 /);
    assert.match(result.stdout, /AUTHCTL_TOKEN/);
  }
});

it("gives every command --help with examples", async () => {
  for (const command of COMMANDS) {
    const result = await runCli([...command.split(" "), "--help"]);
    assert.equal(result.exitCode, 0, command);
    assert.match(result.stdout, new RegExp(`Usage: authctl ${command} \\[options\\]`));
    assert.match(result.stdout, /Examples:\n {2}\$ /, command);
    assert.match(result.stdout, /--json/, command);
  }
});

it("gives the command groups help with their commands, and user alone shows the user", async () => {
  const password = await runCli(["password", "--help"]);
  assert.equal(password.exitCode, 0);
  assert.match(password.stdout, /Commands:\n {2}change \[options\] .*\n {2}reset \[options\] /);
  assert.match(password.stdout, /DRF keeps the token when the password changes or is reset/);
  const user = await runCli(["user", "--help"]);
  assert.match(user.stdout, /Commands:\n {2}show \[options\] .*\n(.*\n)* {2}edit \[options\] /);
  const config = await configDir();
  try {
    const bare = await runCli(["user", "--url", "http://127.0.0.1:9", "--json"], { env: { AUTHCTL_CONFIG_DIR: config.path } });
    assert.equal(bare.exitCode, 4, "authctl user is authctl user show");
    assert.equal((JSON.parse(bare.stdout) as { error: { code: string } }).error.code, "not_logged_in");
  } finally {
    await config.remove();
  }
});

it("answers an unknown command or option with a usage error and a suggestion", async () => {
  const result = await runCli(["logot"]);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /unknown command 'logot'\n\(Did you mean logout\?\)/);
});
