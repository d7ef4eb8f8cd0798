#!/usr/bin/env node
import { isVersionFlag, VERSION } from "./version.js";

const argv = process.argv.slice(2);
// A reader that went away (`authctl --help | head`, on stdout or stderr) ends the run quietly, with the
// status of a Unix tool killed by SIGPIPE (128 + 13): a pipeline under pipefail still sees it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(141);
    throw error;
  });
}
// `--version` alone answers before the command parser loads: scripts call it often.
if (argv.length === 1 && isVersionFlag(argv[0] ?? "")) {
  process.stdout.write(`authctl ${VERSION}\n`);
} else {
  // Ctrl-C outside a prompt (while waiting for the server, between prompts)
  // arrives as SIGINT; it cancels like Ctrl-C at a prompt, unless the command
  // takes Ctrl-C over (`register --from` finishes the rows in flight and its
  // report first). `serve` keeps the server's own graceful shutdown.
  if (argv[0] !== "serve") process.once("SIGINT", cancel);
  const { run } = await import("./program.js");
  process.exitCode = await run(argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, interrupts: { on: takeOverCtrlC } });
}

/** For a command that handles Ctrl-C itself: from now on Ctrl-C is its own, and no longer cancels. */
function takeOverCtrlC(handler: () => void): () => void {
  process.off("SIGINT", cancel);
  process.on("SIGINT", handler);
  return () => process.off("SIGINT", handler);
}

function cancel(): void {
  if (argv.includes("--json")) process.stdout.write(`${JSON.stringify({ error: { code: "cancelled", message: "cancelled" } })}\n`);
  else process.stderr.write("cancelled\n");
  // The entry point is the one place allowed to end the process: pending requests must not outlive Ctrl-C.
  process.exit(130);
}
