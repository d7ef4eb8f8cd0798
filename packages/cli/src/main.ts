#!/usr/bin/env node
import { VERSION } from "./version.js";

const argv = process.argv.slice(2);
// `--version` alone answers before the command parser loads: scripts call it often.
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  process.stdout.write(`authctl ${VERSION}\n`);
} else {
  const { run } = await import("./program.js");
  process.exitCode = await run(argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
}
