import type { Command, CommanderError } from "commander";
import type { Interrupts } from "./bulk/interrupts.js";
import type { Context } from "./context.js";
import { Cancelled, CliError, EXIT_CODE_HELP, ExitCode, RequestFailed, ServerRefused } from "./errors.js";
import type { Output } from "./output.js";
import { sanitize } from "./text.js";
import { isVersionFlag, VERSION } from "./version.js";

export interface Io {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Ctrl-C, for a command that handles it itself (`register --from`). */
  interrupts: Interrupts;
}

/** Parses argv, runs one command and returns the exit code; it never calls process.exit. */
export async function run(argv: string[], io: Io): Promise<number> {
  const json = argv.includes("--json");
  if (argv.some(isVersionFlag) && (json || argv.length === 1)) {
    io.stdout.write(json ? `${JSON.stringify({ version: VERSION })}\n` : `authctl ${VERSION}\n`);
    return ExitCode.ok;
  }
  const colorAllowed = !argv.includes("--no-color") && !io.env.NO_COLOR;
  const debug = io.env.DEBUG?.split(",").includes("authctl") ?? false;
  // `status` alone (what scripts and prompts run most) needs no parser: commander and the command tree are a third of its start.
  if (argv.length === 1 && argv[0] === "status") {
    try {
      const [{ createContext }, { runStatus }] = await Promise.all([import("./context.js"), import("./commands/status.js")]);
      return await runStatus({}, await createContext(io, { json: false, color: true }));
    } catch (error) {
      const { createOutput } = await import("./output.js");
      return reportError(error, await createOutput(io, false, colorAllowed), debug, undefined);
    }
  }
  const { CommanderError } = await import("commander");
  let exitCode: number = ExitCode.ok;
  const program = await buildProgram(io, (code) => (exitCode = code));
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.ok;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    const { createOutput } = await import("./output.js");
    return reportError(error, await createOutput(io, json, colorAllowed), debug, CommanderError);
  }
}

/** The single place where errors become messages and exit codes; `usage` is commander's error class, where it was loaded. */
function reportError(error: unknown, out: Output, debug: boolean, usage: typeof CommanderError | undefined): number {
  if (usage !== undefined && error instanceof usage) {
    // Help and --version end parsing with exit code 0.
    if (error.exitCode === 0) return ExitCode.ok;
    const message = error.message.replace(/^error: /, "");
    if (out.json) out.jsonError("usage", message);
    else out.error(message, usageHint(error));
    return ExitCode.usage;
  }
  if (error instanceof RequestFailed) {
    if (out.json) out.jsonError(error.code, error.message, { status: error.status, body: error.body });
    else {
      if (error.body.trim() !== "") out.info(sanitize(error.body).trimEnd());
      out.error(error.message, error.hint);
    }
    return error.exitCode;
  }
  // Ctrl-C is the person's choice, not a failure: one plain line.
  if (error instanceof Cancelled && !out.json) {
    out.info(error.message);
    return error.exitCode;
  }
  if (error instanceof CliError) {
    if (out.json) out.jsonError(error.code, error.message, error instanceof ServerRefused ? error.details : undefined);
    else out.error(error instanceof ServerRefused ? error.human : error.message, error.hint);
    return error.exitCode;
  }
  const message = debug && error instanceof Error ? (error.stack ?? error.message) : error instanceof Error ? error.message : String(error);
  if (out.json) out.jsonError("internal", message);
  else out.error(message, debug ? undefined : "run again with DEBUG=authctl for details");
  return 1;
}

/** A pointer to what was meant, for the usage errors people make at first. */
function usageHint(error: CommanderError): string | undefined {
  if (error.code === "commander.unknownOption" && /'--password(=[^']*)?'/.test(error.message)) {
    return "a password is never taken from an argument (other users see it in the process list): pipe it in with --password-stdin, or leave it out to be asked";
  }
  return undefined;
}

async function buildProgram(io: Io, setExitCode: (code: number) => void): Promise<Command> {
  const [{ Command }, { defineCommands }, { CURRENT_SERVER_HELP, ENVIRONMENT_HELP }] = await Promise.all([
    import("commander"),
    import("./program-commands.js"),
    import("./help.js"),
  ]);
  const program = new Command("authctl")
    .description("Register, log in and keep API tokens for DRF-style token-auth servers.")
    .version(`authctl ${VERSION}`, "-V, --version", "print the version (-v too; with --json: as JSON)")
    .option("--no-color", "turn colors off")
    .exitOverride()
    // Parse errors are printed once, by reportError (as JSON with --json), not by commander too.
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text), outputError: () => undefined })
    .showSuggestionAfterError()
    .addHelpText("after", `\n${CURRENT_SERVER_HELP}\n\n${EXIT_CODE_HELP}\n\n${ENVIRONMENT_HELP}\n`);

  // Loaded on first use: the HTTP client and keychain binding are what make start-up slow.
  const context = async (command: Command): Promise<Context> => {
    const { createContext } = await import("./context.js");
    return createContext(io, { json: command.opts().json === true, color: program.opts().color !== false });
  };
  defineCommands(program, { io, context, setExitCode });
  return program;
}
