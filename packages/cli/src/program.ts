import { Command, CommanderError } from "commander";
import { DEFAULT_URL } from "./base-url.js";
import type { RegisterOptions } from "./commands/register.js";
import type { RegisterFromOptions } from "./commands/register-from.js";
import type { Context } from "./context.js";
import { CliError, EXIT_CODE_HELP, ExitCode, ServerRefused, UsageError } from "./errors.js";
import type { Output } from "./output.js";
import { VERSION } from "./version.js";

export interface Io {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

const ENVIRONMENT_HELP = `Environment:
  AUTHCTL_URL               base URL when --url is not given (then the last URL used, then ${DEFAULT_URL})
  AUTHCTL_TOKEN             a token to use instead of the stored one (status, token, logout)
  AUTHCTL_CONFIG_DIR        where config.json (and credentials.json, if used) live;
                            default $XDG_CONFIG_HOME/authctl or ~/.config/authctl
  AUTHCTL_HTTP_TIMEOUT      seconds to wait for the server (default 10)
  AUTHCTL_KEYCHAIN_TIMEOUT  seconds to wait for the OS keychain (default 5)
  HTTP_PROXY, HTTPS_PROXY, NO_PROXY   honoured for every request
  NO_COLOR                  turns colors off, as --no-color does
  DEBUG=authctl             prints stack traces of unexpected errors`;

const BULK_HELP = `
With --from, each row gets an account; rows without a password get a generated one,
written only to the report. The report has one JSON object per row
({line, username, outcome: created|exists|failed, status, error, token, password}),
appended as rows finish; usernames that already exist are "exists", so a file can be
run again, after Ctrl-C too, to finish the rest. Exit code 0 when no row failed, else 1.
`;

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;

/** Parses argv, runs one command and returns the exit code; it never calls process.exit. */
export async function run(argv: string[], io: Io): Promise<number> {
  const json = argv.includes("--json");
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(io, (code) => (exitCode = code));
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.ok;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    const colorAllowed = !argv.includes("--no-color") && !io.env.NO_COLOR;
    const { Output } = await import("./output.js");
    return reportError(error, new Output(io, json, colorAllowed), io.env.DEBUG?.split(",").includes("authctl") ?? false);
  }
}

/** The single place where errors become messages and exit codes. */
function reportError(error: unknown, out: Output, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Help and --version end parsing with exit code 0.
    if (error.exitCode === 0) return ExitCode.ok;
    if (out.json) out.jsonError("usage", error.message.replace(/^error: /, ""));
    return ExitCode.usage;
  }
  if (error instanceof CliError) {
    if (out.json) out.jsonError(error.code, error.message, error instanceof ServerRefused ? error.details : undefined);
    else out.error(error.message, error.hint);
    return error.exitCode;
  }
  const message = debug ? ((error as Error)?.stack ?? String(error)) : ((error as Error)?.message ?? String(error));
  if (out.json) out.jsonError("internal", message);
  else out.error(message, debug ? undefined : "run again with DEBUG=authctl for details");
  return 1;
}

function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command("authctl")
    .description("Register, log in and keep API tokens for DRF-style token-auth servers.")
    .version(`authctl ${VERSION}`, "-V, --version", "print the version")
    .option("--no-color", "turn colors off")
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showSuggestionAfterError()
    .addHelpText("after", `\n${EXIT_CODE_HELP}\n\n${ENVIRONMENT_HELP}\n`);

  // Loaded on first use: the HTTP client and keychain binding are what make start-up slow.
  const context = async (command: Command): Promise<Context> => {
    const { createContext } = await import("./context.js");
    return createContext({ ...io, json: command.opts().json === true, color: program.opts().color !== false });
  };
  const action = <T>(load: () => Promise<(options: T, ctx: Context) => Promise<unknown>>) =>
    async function (this: Command, options: T) {
      const code = await (await load())(options, await context(this));
      if (typeof code === "number") setExitCode(code);
    };

  const command = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .option("--url <url>", "base URL of the server (see AUTHCTL_URL)")
      .option("--json", "print the result, or the error, as JSON on stdout")
      .exitOverride();

  // register and login take the same credentials and the same two safety overrides.
  const credentialCommand = (name: string, description: string) =>
    command(name, description)
      .option("-u, --username <name>", "username (prompted when missing)")
      .option("--password-stdin", "read the password from stdin instead of prompting")
      .option("--insecure-http", "allow sending the password over plain http:// to another machine")
      .option("--insecure-storage", "keep the token in a plaintext file instead of the OS keychain");

  credentialCommand("register", "create an account and keep its token, or many from a file with --from")
    .option("-e, --email <address>", "email address (prompted when missing)")
    .option("--from <file>", "register every row of a CSV (username,email[,password]) or JSON Lines file; - reads stdin")
    .option("--format <format>", "csv or jsonl (default: from the file's extension)")
    .option("--concurrency <n>", "registrations in flight at once with --from (default 8)")
    .option("--report <file>", "with --from: where the report goes (default <file>.report.jsonl), created 0600")
    .option("--save-tokens", "with --from: also keep every token in the keychain (default: only in the report)")
    .option("--quiet", "with --from: no progress output")
    .addHelpText("after", examples(
      "authctl register",
      "authctl register --url https://api.example.com -u ada -e ada@example.com",
      'printf %s "$PW" | authctl register -u ada -e ada@example.com --password-stdin',
      "authctl register --from team.csv --url https://api.example.com",
      "authctl register --from team.jsonl --concurrency 16 --report team.report.jsonl --json",
      "generate-accounts | authctl register --from - --format jsonl --report out.jsonl --quiet",
    ) + BULK_HELP)
    .action(async function (this: Command, options: RegisterOptions & Omit<RegisterFromOptions, "from"> & { from?: string }) {
      if (options.from === undefined) {
        const bulkOnly = (["format", "concurrency", "report", "saveTokens", "quiet"] as const).find((key) => options[key] !== undefined);
        if (bulkOnly) throw new UsageError(`--${bulkOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} only applies with --from`);
        return action(async () => (await import("./commands/register.js")).runRegister).call(this, options);
      }
      const [{ runRegisterFrom }, ctx] = await Promise.all([import("./commands/register-from.js"), context(this)]);
      setExitCode(await runRegisterFrom({ ...options, from: options.from }, ctx, { stderr: io.stderr }));
    });

  credentialCommand("login", "log in with a username and password and keep the token")
    .addHelpText("after", examples("authctl login", "authctl login --url https://api.example.com/v1 -u ada", 'printf %s "$PW" | authctl login -u ada --password-stdin --json'))
    .action(action(async () => (await import("./commands/login.js")).runLogin));

  command("logout", "revoke the token on the server and forget it")
    .option("-u, --username <name>", "account to log out (default: the active one)")
    .option("--forget", "remove the token locally even if the server cannot be reached")
    .addHelpText("after", examples("authctl logout", "authctl logout --url https://api.example.com -u ada", "authctl logout --forget"))
    .action(action(async () => (await import("./commands/logout.js")).runLogout));

  command("status", "show stored accounts, where each token is kept, and whether the server accepts it")
    .addHelpText("after", examples("authctl status", "authctl status --url http://127.0.0.1:8000 --json"))
    .action(action(async () => (await import("./commands/status.js")).runStatus));

  command("token", "print the token, for use in scripts")
    .option("-u, --username <name>", "account (default: the active one)")
    .addHelpText("after", examples('curl -H "Authorization: Token $(authctl token)" http://127.0.0.1:8000/account/me/', "authctl token --url https://api.example.com -u ada"))
    .action(action(async () => (await import("./commands/token.js")).runToken));

  command("switch", "make another stored account of a server the active one")
    .option("-u, --username <name>", "account to switch to (chosen from a list when missing)")
    .addHelpText("after", examples("authctl switch -u grace", "authctl switch --url https://api.example.com"))
    .action(action(async () => (await import("./commands/switch.js")).runSwitch));

  program
    .command("serve")
    .description("run the authctl server in this process (same as npm start)")
    .option("--host <host>", "address to listen on (default HOST or 127.0.0.1)")
    .option("--port <port>", "port to listen on (default PORT or 8000)")
    .option("--data-dir <dir>", "database and key directory (default AUTHCTL_DATA_DIR or ./data)")
    .option("--json", "print a failure to start as JSON on stdout")
    .exitOverride()
    .addHelpText("after", examples("authctl serve", "authctl serve --port 8123 --data-dir /var/lib/authctl"))
    .action(async function (this: Command, options) {
      const { runServe } = await import("./commands/serve.js");
      await runServe(options, await context(this), io);
    });

  return program;
}
