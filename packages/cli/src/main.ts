#!/usr/bin/env node
import { writeSync } from "node:fs";
import { isVersionFlag, VERSION } from "./version.js";

/** The status of a Unix tool killed by SIGPIPE (128 + 13), for a reader that went away: a pipeline under pipefail still sees it. */
const READER_GONE = 141;

const argv = process.argv.slice(2);
// `--version` alone answers before the command parser loads: scripts call it often.
if (argv.length === 1 && isVersionFlag(argv[0] ?? "")) {
  printVersion();
} else {
  // A reader that went away (`authctl --help | head`, on stdout or stderr) ends the run quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(READER_GONE);
      throw error;
    });
  }
  // Ctrl-C outside a prompt (while waiting for the server, between prompts)
  // arrives as SIGINT; it cancels like Ctrl-C at a prompt, unless the command
  // takes Ctrl-C over (`register --from` finishes the rows in flight and its
  // report first). `serve` keeps the server's own graceful shutdown.
  if (argv[0] !== "serve") process.once("SIGINT", cancel);
  void runCommand();
}

/** The command itself; not top-level await, so that the bundle can be CommonJS, which Node 20 starts faster than an ES module. */
async function runCommand(): Promise<void> {
  const { run } = await import("./program.js");
  process.exitCode = await run(argv, {
    // process.stdin is made on first use, which takes a few ms (a stream; at a terminal, tty and net too): most commands never read it.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    interrupts: { on: takeOverCtrlC },
  });
}

/** For a command that handles Ctrl-C itself: from now on Ctrl-C is its own, and no longer cancels. */
function takeOverCtrlC(handler: () => void): () => void {
  process.off("SIGINT", cancel);
  process.on("SIGINT", handler);
  return () => process.off("SIGINT", handler);
}

/** Straight to file descriptor 1: setting up process.stdout, a stream, costs more than the rest of `--version`. */
function printVersion(): void {
  const line = `authctl ${VERSION}\n`;
  try {
    writeSync(1, line);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === "EPIPE") process.exitCode = READER_GONE;
    // A non-blocking pipe that is full: the stream waits for it.
    else if (code === "EAGAIN") process.stdout.write(line);
    else throw error;
  }
}

function cancel(): void {
  if (argv.includes("--json")) process.stdout.write(`${JSON.stringify({ error: { code: "cancelled", message: "cancelled" } })}\n`);
  else process.stderr.write("cancelled\n");
  // The entry point is the one place allowed to end the process: pending requests must not outlive Ctrl-C.
  process.exit(130);
}
