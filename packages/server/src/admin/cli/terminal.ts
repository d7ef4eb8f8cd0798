import { Command, CommanderError } from "commander";
import { defineAdminCommands } from "./program.js";
import { ADMIN_EXIT_CODES, type AdminIo, type AdminOutput, type AdminPrompter } from "./io.js";

// `authctl-server admin …` on its own: the AdminIo of this package (plain streams, @inquirer prompts),
// and the one place its errors become messages and exit codes, as `authctl admin` reports them.

export interface AdminStreams {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** A failed admin command: its message, what to do next (`hint`), a stable `code` for --json, and its exit code. */
export class AdminCommandError extends Error {
  constructor(
    message: string,
    readonly code: "usage" | "admin_refused" | "unreachable" | "cancelled",
    readonly exitCode: (typeof ADMIN_EXIT_CODES)[keyof typeof ADMIN_EXIT_CODES],
    readonly hint?: string,
  ) {
    super(message);
    this.name = "AdminCommandError";
  }
}

const usage = (message: string, hint?: string) => new AdminCommandError(message, "usage", ADMIN_EXIT_CODES.usage, hint);

/** Runs `authctl-server admin ARGS` and returns its exit code; it never calls process.exit. */
export async function runAdminCommand(args: string[], streams: AdminStreams): Promise<number> {
  const root = new Command("authctl-server")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
      outputError: () => undefined,
    })
    .showSuggestionAfterError();
  const admin = root
    .command("admin")
    .description("administer accounts directly in the server's database, like Django's manage.py")
    .exitOverride();
  defineAdminCommands(admin, {
    program: "authctl-server",
    io: (command) => Promise.resolve(terminalIo(streams, command.opts().json === true)),
  });
  try {
    await root.parseAsync(["admin", ...args], { from: "user" });
    return ADMIN_EXIT_CODES.ok;
  } catch (error) {
    return report(error, new StreamOutput(streams, args.includes("--json")), streams.env.DEBUG?.split(",").includes("authctl") ?? false);
  }
}

/** Errors as messages (or JSON on stdout with --json), and their exit codes. */
function report(error: unknown, out: StreamOutput, debug: boolean): number {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return ADMIN_EXIT_CODES.ok;
    const message = error.message.replace(/^error: /, "");
    if (out.json) out.jsonError("usage", message);
    else out.error(message);
    return ADMIN_EXIT_CODES.usage;
  }
  if (error instanceof AdminCommandError) {
    if (error.code === "cancelled" && !out.json) out.info(error.message);
    else if (out.json) out.jsonError(error.code, error.message);
    else out.error(error.message, error.hint);
    return error.exitCode;
  }
  const message = debug && error instanceof Error ? (error.stack ?? error.message) : error instanceof Error ? error.message : String(error);
  if (out.json) out.jsonError("internal", message);
  else out.error(message, debug ? undefined : "run again with DEBUG=authctl for details");
  return ADMIN_EXIT_CODES.refused;
}

function terminalIo(streams: AdminStreams, json: boolean): AdminIo {
  return {
    program: "authctl-server",
    env: streams.env,
    out: new StreamOutput(streams, json),
    prompter: terminalPrompter(streams),
    readSecret: ({ flag, what, command }) => readSecret(streams.stdin, flag, what, command),
    errors: {
      usage,
      refused: (message, hint) => new AdminCommandError(message, "admin_refused", ADMIN_EXIT_CODES.refused, hint),
      unreachable: (message, hint) => new AdminCommandError(message, "unreachable", ADMIN_EXIT_CODES.unreachable, hint),
    },
  };
}

/** Data on stdout (JSON with --json); what is said to a person on stderr, with colors only at a terminal and without NO_COLOR. */
class StreamOutput implements AdminOutput {
  private readonly color: boolean;

  constructor(
    private readonly streams: AdminStreams,
    readonly json: boolean,
  ) {
    this.color = streams.stderr.isTTY === true && !streams.env.NO_COLOR;
  }

  private paint(code: number, text: string): string {
    return this.color ? `\u001b[${code}m${text}\u001b[${code === 2 ? 22 : 39}m` : text;
  }

  result(value: unknown): void {
    if (this.json) this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  data(text: string): void {
    this.streams.stdout.write(this.streams.stdout.isTTY === true && !text.endsWith("\n") ? `${text}\n` : text);
  }

  success(message: string): void {
    if (!this.json) this.streams.stderr.write(`${this.paint(32, "✓")} ${message}\n`);
  }

  info(message: string): void {
    if (!this.json) this.streams.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    this.streams.stderr.write(`${this.paint(33, "warning:")} ${message}\n`);
  }

  error(message: string, hint?: string): void {
    this.streams.stderr.write(`${this.paint(31, "error:")} ${message}\n`);
    if (hint) this.streams.stderr.write(`${this.paint(2, "hint:")} ${hint}\n`);
  }

  jsonError(code: string, message: string): void {
    this.streams.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  }
}

/** @inquirer's input and password on stderr; without a terminal, a usage error naming the flag; Ctrl-C cancels (130). */
function terminalPrompter(streams: AdminStreams): AdminPrompter {
  const context = { input: streams.stdin, output: streams.stderr, clearPromptOnDone: false };
  const ensureTerminal = (flag: string) => {
    if (!streams.stdin.isTTY) throw usage(`${flag} is required when not running in a terminal`);
  };
  return {
    async text(message, flag) {
      ensureTerminal(flag);
      const { default: input } = await import("@inquirer/input");
      return cancellable(() => input({ message, required: true, validate: (value) => value.trim() !== "" || "required" }, context));
    },
    async secret(message, flag) {
      ensureTerminal(flag);
      const { default: password } = await import("@inquirer/password");
      return cancellable(() => password({ message, mask: "*", validate: (value) => value !== "" || "required" }, context));
    },
  };
}

async function cancellable<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    const { name } = error as Error;
    if (name === "ExitPromptError" || name === "AbortPromptError")
      throw new AdminCommandError("cancelled", "cancelled", ADMIN_EXIT_CODES.cancelled);
    throw error;
  }
}

/** A secret piped on stdin, without its final newline. */
async function readSecret(stdin: AdminStreams["stdin"], flag: string, what: string, command: string): Promise<string> {
  if (stdin.isTTY) throw usage(`${flag} needs the ${what} piped in`, `printf %s "$SECRET" | ${command} ${flag} ...`);
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const secret = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (secret === "") throw usage(`${flag} was given but stdin was empty`);
  return secret;
}
