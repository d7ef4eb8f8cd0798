import { Command, type CommandOptions } from "commander";
import type { CommandSpec, ValueKind } from "./commands/completion.js";
import type { RegisterFromOptions } from "./commands/register-from.js";
import type { Context } from "./context.js";
import { UsageError } from "./errors.js";
import { examples, flagOf } from "./help.js";
import { defineAdminCommands } from "./program-admin.js";
import type { Io } from "./program.js";

interface Wiring {
  io: Io;
  context: (command: Command) => Promise<Context>;
  setExitCode: (code: number) => void;
}

type Runner<T> = (options: T, ctx: Context) => Promise<unknown>;

/** Wires each command's flags to its `run<Name>`; behaviour lives in commands/. */
export function defineCommands(program: Command, wiring: Wiring): void {
  const build = builders(program, wiring);
  defineCredentialCommands(build, wiring);
  defineAccountCommands(build);
  defineLifecycleCommands(program, build);
  defineToolCommands(program, build, wiring);
  defineAdminCommands(program, wiring.context);
}

type Builders = ReturnType<typeof builders>;

function builders(program: Command, { context, setExitCode }: Wiring) {
  const action = <T extends object>(load: () => Promise<Runner<T>>) =>
    async function (this: Command, ...args: unknown[]) {
      const options = withPositionalUrl(this, args) as T;
      const code = await (await load())(options, await context(this));
      if (typeof code === "number") setExitCode(code);
    };

  const command = (name: string, description: string, parent: Command = program, options?: CommandOptions) =>
    parent
      .command(name, options)
      .description(description)
      .option("--url <url>", "base URL of the server (default: AUTHCTL_URL, else the current server)")
      .option("--json", "print the result, or the error, as JSON on stdout")
      .exitOverride();

  // register and login take the same credentials and the same safety overrides.
  const credentialCommand = (name: string, description: string) =>
    command(name, description)
      .argument("[url]", "base URL of the server, as --url")
      .option("-u, --username <name>", "username (prompted when missing)")
      .option("--password-stdin", "read the password from stdin instead of prompting")
      .option("--insecure-http", "allow sending the password over plain http:// to another machine or through a proxy")
      .option("--insecure-storage", "keep the token in a plaintext file instead of the OS keychain")
      .option("--no-store", "print the token on stdout and keep nothing");

  return { action, command, credentialCommand };
}

const BULK_HELP = `
With --from, each row gets an account; rows without a password get a generated one,
kept only in the report (0600, appended to, never rewritten). Before a generated
password is sent, a "pending" entry holding it is synced to the report; when the row
finishes, its outcome follows: {line, username, outcome: created|exists|failed, status,
error, token, password (only when generated)}. For each row (line and username), the
last entry is its current state, token and password included. Run the same command
again, after Ctrl-C or a kill, to finish the rest: rows the report settles (created,
exists with a token, failed in a way a retry cannot change) are not sent again and
count as "done earlier"; a pending row is sent with the same password. Exit code 0
when no row failed (in this run or, by the report, earlier), else 1.
`;

const BULK_ONLY = ["format", "concurrency", "report", "saveTokens", "quiet"] as const;

function defineCredentialCommands({ action, credentialCommand }: Builders, { io, context, setExitCode }: Wiring): void {
  const registerOne = action(async () => (await import("./commands/register.js")).runRegister);
  credentialCommand("register", "create an account and keep its token, or many from a file with --from")
    .option("-e, --email <address>", "email address (prompted when missing)")
    .option("--from <file>", "register every row of a CSV (username,email[,password]) or JSON Lines file; - reads stdin")
    .option("--format <format>", "csv or jsonl (default: from the file's extension)")
    .option("--concurrency <n>", "registrations in flight at once with --from (default 8)")
    .option("--report <file>", "with --from: where the report goes (default <file>.report.jsonl), created 0600")
    .option("--save-tokens", "with --from: also keep every token in the keychain (default: only in the report)")
    .option("--quiet", "with --from: no progress output")
    .addHelpText(
      "after",
      examples(
        "authctl register",
        "authctl register https://api.example.com -u ada -e ada@example.com",
        'printf %s "$PW" | authctl register -u ada -e ada@example.com --password-stdin',
        "authctl register --from team.csv --url https://api.example.com",
        "authctl register --from team.jsonl --concurrency 16 --report team.report.jsonl --json",
        "generate-accounts | authctl register --from - --format jsonl --report out.jsonl --quiet",
        "jq -cnR 'reduce (inputs | fromjson? // empty) as $e ({}; .[[$e.line, $e.username] | tostring] = $e) | .[] | select(.password) | {username, outcome, password}' team.csv.report.jsonl",
      ) + BULK_HELP,
    )
    .action(async function (this: Command, ...args: unknown[]) {
      const options = withPositionalUrl(this, args);
      if (typeof options.from !== "string") {
        const bulkOnly = BULK_ONLY.find((key) => options[key] !== undefined);
        if (bulkOnly) throw new UsageError(`${flagOf(bulkOnly)} only applies with --from`);
        await registerOne.call(this, ...args);
        return;
      }
      const [{ runRegisterFrom }, ctx] = await Promise.all([import("./commands/register-from.js"), context(this)]);
      setExitCode(
        await runRegisterFrom({ ...(options as Omit<RegisterFromOptions, "from">), from: options.from }, ctx, {
          stderr: io.stderr,
          interrupts: io.interrupts,
        }),
      );
    });

  credentialCommand("login", "log in with a username and password (or a token) and keep the token")
    .option("--with-token", "read a token (not a password) from stdin, check it with the server and keep it")
    .option("--name <name>", "name this device's token, where the server keeps one per login (default: this machine's host name)")
    .addHelpText(
      "after",
      examples(
        "authctl login",
        "authctl login https://api.example.com/v1 -u ada",
        'printf %s "$PW" | authctl login -u ada --password-stdin --json',
        'printf %s "$TOKEN" | authctl login --url https://api.example.com --with-token',
        'TOKEN=$(printf %s "$PW" | authctl login -u ada --password-stdin --no-store)',
      ),
    )
    .action(action(async () => (await import("./commands/login.js")).runLogin));
}

function defineAccountCommands({ action, command }: Builders): void {
  command("logout", "revoke the token on the server and forget it")
    .option("-u, --username <name>", "account to log out (default: the current one; found on any server)")
    .option("--all", "revoke every token of the account, on every device")
    .option("--forget", "remove the token locally even if the server cannot be reached")
    .option("--local", "only forget the token here; it stays valid on the server")
    .addHelpText(
      "after",
      `\nA DRF server keeps one token per user: logging out revokes it for every client of\nthe account (other machines, scripts). A server with a token per login (knox's\nmodel) revokes only this device's; --all revokes them all. Use --local to only\nforget it here.\n${examples("authctl logout", "authctl logout -u ada", "authctl logout --all", "authctl logout --url https://api.example.com --local")}`,
    )
    .action(action(async () => (await import("./commands/logout.js")).runLogout));

  command("status", "show stored accounts, the current server first, and whether each server accepts its token")
    .addHelpText("after", examples("authctl status", "authctl status --url http://127.0.0.1:8000 --json"))
    .action(action(async () => (await import("./commands/status.js")).runStatus));

  command("token", "print the token, for use in scripts")
    .option("-u, --username <name>", "account (default: the current one; found on any server)")
    .addHelpText(
      "after",
      examples('curl -H "Authorization: Token $(authctl token)" http://127.0.0.1:8000/account/me/', "authctl token -u ada"),
    )
    .action(action(async () => (await import("./commands/token.js")).runToken));

  const tokens = command("tokens", "list the account's tokens on the server, one per device where the server keeps one per login")
    .option("-u, --username <name>", "account (default: the current one; found on any server)")
    .addHelpText("after", examples("authctl tokens", "authctl tokens --json", "authctl tokens revoke 7"))
    .action(action(async () => (await import("./commands/tokens.js")).runTokens));
  command("revoke", "revoke one of the account's tokens (one device), by its ID from authctl tokens", tokens)
    .argument("<id>", "the token's ID, as authctl tokens lists it")
    .option("-u, --username <name>", "account (default: the current one; found on any server)")
    .addHelpText("after", examples("authctl tokens revoke 7", "authctl tokens revoke 7 --url https://api.example.com --json"))
    .action(action(async () => (await import("./commands/tokens.js")).runTokenRevoke));

  command("switch", "make another stored account (and its server) the current one")
    .option("-u, --username <name>", "account to switch to (with two accounts: the other one; else chosen from a list)")
    .addHelpText("after", examples("authctl switch", "authctl switch -u grace", "authctl switch --url https://api.example.com -u ada"))
    .action(action(async () => (await import("./commands/switch.js")).runSwitch));
}

const TOKEN_KEPT = `DRF keeps the token when the password changes or is reset: the stored token goes on
working, here and on every other client of the account. If the password was stolen,
also revoke the token everywhere with authctl logout, then log in again.`;

const LINK_HELP = `
The link in the mail ends in …/UID/TOKEN/ (pasted whole, with or without the final
slash or a query). It is a secret until used: --link - reads it from stdin, or asks
for it at a terminal, where other users of the machine cannot see it; a link given
as an argument is visible in the process list (authctl warns). It works once, and
expires (after 3 days by default). With --link - --password-stdin, stdin holds the
link, then the new password, one a line.`;

/** dj-rest-auth's account lifecycle: password/change/, password/reset/(confirm/), user/. */
function defineLifecycleCommands(program: Command, { action, command }: Builders): void {
  const password = program
    .command("password")
    .description("change your password, or reset a forgotten one by e-mail")
    .exitOverride()
    .addHelpText("after", `\n${TOKEN_KEPT}\n`);

  command("change", "change the account's password (the token stays valid)", password)
    .option("-u, --username <name>", "account whose password to change (default: the current one; found on any server)")
    .option("--password-stdin", "read the current password, then the new one, from stdin (one a line)")
    .option("--insecure-http", "allow sending the passwords over plain http:// to another machine or through a proxy")
    .addHelpText(
      "after",
      `\nAsks for the current password, then the new one twice (hidden). --password-stdin reads
the current password, then the new one, one a line.\n\n${TOKEN_KEPT}\n${examples(
        "authctl password change",
        "authctl password change --url https://api.example.com -u ada",
        `printf '%s\\n' "$OLD" "$NEW" | authctl password change --password-stdin --json`,
      )}`,
    )
    .action(action(async () => (await import("./commands/password-change.js")).runPasswordChange));

  command("reset", "ask the server to mail a reset link, or set a new password with that link", password)
    .option("-e, --email <address>", "where the server sends the link (prompted when missing)")
    .option("--link <url>", "set the new password with the link from the mail; - reads it from stdin, or asks for it")
    .option("--password-stdin", "with --link: read the new password from stdin instead of prompting")
    .option("--insecure-http", "with --link: allow sending the password over plain http:// to another machine or through a proxy")
    .addHelpText(
      "after",
      `${LINK_HELP}\n${examples(
        "authctl password reset --email ada@example.com",
        "authctl password reset --link -",
        `printf '%s\\n' "$LINK" "$NEW" | authctl password reset --url https://api.example.com --link - --password-stdin`,
      )}`,
    )
    .action(action(async () => (await import("./commands/password-reset.js")).runPasswordReset));

  const user = program
    .command("user")
    .description("show or edit the account's details on the server (pk, username, email, names)")
    .exitOverride()
    .addHelpText("after", examples("authctl user", "authctl user --json", "authctl user edit --first-name Ada --last-name Lovelace"));

  command("show", "show the account's pk, username, email, first and last name (the default)", user, { isDefault: true })
    .option("-u, --username <name>", "account (default: the current one; found on any server)")
    .addHelpText("after", examples("authctl user", "authctl user -u ada --json", "authctl user show --url https://api.example.com"))
    .action(action(async () => (await import("./commands/user.js")).runUser));

  command("edit", "change the account's username, first or last name (the email cannot be changed)", user)
    .option("--username <name>", "the new username (the stored account is renamed; its token stays the same)")
    .option("--first-name <name>", 'the new first name ("" clears it)')
    .option("--last-name <name>", 'the new last name ("" clears it)')
    .addHelpText(
      "after",
      `\nEdits the active account of the server (authctl switch picks another).\n${examples(
        "authctl user edit --first-name Ada --last-name Lovelace",
        "authctl user edit --username lovelace --json",
      )}`,
    )
    .action(action(async () => (await import("./commands/user-edit.js")).runUserEdit));
}

function defineToolCommands(program: Command, { command }: Builders, { io, context }: Wiring): void {
  command("api", "make an authenticated request to the current server and print the response body")
    .argument("<path>", "path on the server, e.g. /account/me/")
    .option("-u, --username <name>", "account whose token to send (default: the current one)")
    .option("-X, --method <method>", "HTTP method (default: GET, or POST with fields or --input)")
    .option("-f, --field <key=value>", "add a string field to a JSON body (repeatable)", (value: string, all: string[] | undefined) => [
      ...(all ?? []),
      value,
    ])
    .option("--input <file>", "send the file as the request body (- for stdin)")
    .addHelpText(
      "after",
      examples(
        "authctl api /account/me/",
        "authctl api -X POST /account/logout/",
        "authctl api /orders/ -f item=book -f count=2",
        "authctl api /orders/ --input order.json",
      ),
    )
    .action(async function (this: Command, path: string, options: object) {
      const { runApi } = await import("./commands/api.js");
      await runApi(path, options, await context(this));
    });

  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .argument("<shell>", "bash, zsh or fish")
    .option("--json", "print an error as JSON on stdout")
    .exitOverride()
    .addHelpText(
      "after",
      examples("source <(authctl completion bash)", 'authctl completion zsh > "${fpath[1]}/_authctl"', "authctl completion fish | source"),
    )
    .action(async function (this: Command, shell: string) {
      const { runCompletion } = await import("./commands/completion.js");
      await runCompletion(shell, specs(program), await context(this));
    });

  // What the completion scripts ask for a flag's value: the stored servers or usernames, from the config alone.
  program
    .command("__complete", { hidden: true })
    .argument("<values>", "urls or usernames")
    .exitOverride()
    .action(async function (this: Command, values: string) {
      const { runCompleteValues } = await import("./commands/completion.js");
      await runCompleteValues(values, await context(this));
    });

  program
    .command("serve")
    .description("run the authctl server in this process (same as npm start)")
    .option("--host <host>", "address to listen on (default AUTHCTL_HOST or 127.0.0.1)")
    .option("--port <port>", "port to listen on (default AUTHCTL_PORT, PORT or 8000)")
    .option("--data-dir <dir>", "database and key directory (default AUTHCTL_DATA_DIR or ./data)")
    .option("--revoke-all-tokens", "start although the secret key did not seal the stored tokens, revoking them all")
    .option("--workers <n>", "server processes on the port (default AUTHCTL_WORKERS or one per CPU; 1 = this process only)")
    .option("--json", "print a failure to start as JSON on stdout")
    .exitOverride()
    .addHelpText("after", examples("authctl serve", "authctl serve --port 8123 --data-dir /var/lib/authctl", "authctl serve --workers 4"))
    .action(async function (this: Command, options: object) {
      const { runServe } = await import("./commands/serve.js");
      await runServe(options, await context(this), io);
    });
}

/** `authctl login URL` means `authctl login --url URL`; another command's argument (`tokens revoke ID`) goes under its name. */
function withPositionalUrl(command: Command, args: unknown[]): Record<string, unknown> {
  const options: Record<string, unknown> = { ...command.opts() };
  const argument = command.registeredArguments[0]?.name();
  const positional = args[0];
  if (argument === undefined || typeof positional !== "string") return options;
  if (argument !== "url") return { ...options, [argument]: positional };
  if (typeof options.url === "string" && options.url !== positional)
    throw new UsageError(`two URLs given: ${positional} and --url ${options.url}`);
  options.url = positional;
  return options;
}

function specs(program: Command): CommandSpec[] {
  // __complete is the scripts' own, not offered.
  const shown = program.commands.filter((command) => !command.name().startsWith("__"));
  return shown.map((command) => ({
    name: command.name(),
    description: command.description(),
    options: command.options.map((option) => ({
      flags: [option.short, option.long].filter((flag): flag is string => flag !== undefined),
      description: option.description,
      takesValue: option.required || option.optional,
      value: valueKind(option.long, option.flags),
    })),
    subcommands: specs(command),
  }));
}

/** What a flag's value is, for completion: read from its name and its `<placeholder>`. */
function valueKind(long: string | undefined, flags: string): ValueKind | undefined {
  if (long === "--url") return "url";
  if (long === "--username") return "username";
  if (flags.endsWith("<file>")) return "file";
  if (flags.endsWith("<dir>")) return "dir";
  return undefined;
}
