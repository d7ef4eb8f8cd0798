import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { it } from "node:test";
import { runCli } from "../helpers/cli.js";

const COMMANDS = ["register", "login", "logout", "status", "token", "switch", "api", "completion", "serve"];

it("prints the version of the CLI package", async () => {
  const { version } = JSON.parse(await readFile(new URL("../../packages/cli/package.json", import.meta.url), "utf8")) as { version: string };
  for (const flag of ["--version", "-V"]) {
    const result = await runCli([flag]);
    assert.deepEqual([result.exitCode, result.stdout], [0, `authctl ${version}\n`]);
  }
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
    const result = await runCli([command, "--help"]);
    assert.equal(result.exitCode, 0, command);
    assert.match(result.stdout, new RegExp(`Usage: authctl ${command} \\[options\\]`));
    assert.match(result.stdout, /Examples:\n {2}\$ /, command);
    assert.match(result.stdout, /--json/, command);
  }
});

it("answers an unknown command or option with a usage error and a suggestion", async () => {
  const result = await runCli(["logot"]);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /unknown command 'logot'\n\(Did you mean logout\?\)/);
});
