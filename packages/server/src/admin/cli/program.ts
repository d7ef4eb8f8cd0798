import type { Command } from "commander";
import { examples, type AdminIo } from "./io.js";

export { ADMIN_EXIT_CODES, type AdminErrors, type AdminIo, type AdminOutput, type AdminPrompter } from "./io.js";

/** The admin commands themselves, loaded when one runs (not for --help). */
export const loadAdminCommands = () => import("./commands.js");
export type AdminCommands = Awaited<ReturnType<typeof loadAdminCommands>>;

export interface AdminMount {
  /** The program `admin` is under, as the person types it: "authctl" or "authctl-server". */
  program: string;
  /** The AdminIo for a run of `command` (its options hold --json). */
  io: (command: Command) => Promise<AdminIo>;
}

const TARGET_HELP = `
The database is the one a server started with the same environment uses:
AUTHCTL_DATABASE_URL (postgres://…) when set, else authctl.sqlite3 in
--data-dir (default AUTHCTL_DATA_DIR or ./data); a missing one is refused
(exit 2), except by create-user and import-django, which create it. Token
keys come from AUTHCTL_SECRET_KEY or the data directory's secret.key, as for
the server.`;

/**
 * Adds the admin subcommands (like Django's manage.py, on the database itself) to `admin`, the
 * `admin` command of `authctl-server` or of `authctl`. Only methods of `admin` are called, so its
 * commands are made by the commander that made it.
 */
export function defineAdminCommands(admin: Command, { program, io }: AdminMount): void {
  const run = `${program} admin`;
  admin.addHelpText("after", TARGET_HELP);

  const sub = (name: string, description: string) =>
    admin
      .command(name)
      .description(description)
      .option("--data-dir <dir>", "data directory of a SQLite install (default AUTHCTL_DATA_DIR or ./data)")
      .option("--json", "print the result, or the error, as JSON on stdout")
      .exitOverride();

  type Commands = AdminCommands;
  const withName = (pick: (commands: Commands) => (name: string, options: object, io: AdminIo) => Promise<void>) =>
    async function (this: Command, name: string) {
      await pick(await loadAdminCommands())(name, this.opts(), await io(this));
    };
  const plain = (pick: (commands: Commands) => (options: object, io: AdminIo) => Promise<void>) =>
    async function (this: Command) {
      await pick(await loadAdminCommands())(this.opts(), await io(this));
    };

  sub("create-user", "create a user (no token until their first login)")
    .argument("<username>", "the new username")
    .option("-e, --email <address>", "email address (prompted when missing)")
    .option("--staff", "mark the user as staff")
    .option("--superuser", "mark the user as superuser (and staff)")
    .option("--password-stdin", "read the password from stdin instead of prompting")
    .addHelpText(
      "after",
      examples(
        `${run} create-user ada -e ada@example.com`,
        `printf %s "$PW" | ${run} create-user root -e root@example.com --superuser --password-stdin`,
      ),
    )
    .action(withName((commands) => commands.runCreateUser));

  sub("set-password", "set a user's password (their token stays valid)")
    .argument("<username>", "whose password")
    .option("--password-stdin", "read the password from stdin instead of prompting")
    .addHelpText("after", examples(`${run} set-password ada`, `printf %s "$PW" | ${run} set-password ada --password-stdin`))
    .action(withName((commands) => commands.runSetPassword));

  for (const [name, active] of [
    ["activate", true],
    ["deactivate", false],
  ] as const) {
    sub(name, active ? "let a user log in again" : "stop a user logging in; their token is refused until activated")
      .argument("<username>", "whose account")
      .addHelpText("after", examples(`${run} ${name} ada`, `AUTHCTL_DATABASE_URL=postgres://authctl@db/authctl ${run} ${name} ada --json`))
      .action(withName((commands) => (username, options, io) => commands.runSetActive(active, username, options, io)));
  }

  sub("revoke-tokens", "delete a user's token, or every token (users log in again)")
    .option("--user <name>", "revoke this user's token")
    .option("--all", "revoke every token")
    .addHelpText("after", examples(`${run} revoke-tokens --user ada`, `${run} revoke-tokens --all --json`))
    .action(plain((commands) => commands.runRevokeTokens));

  sub("send-reset", "mail a user a password reset link, as the server's password/reset/ does")
    .argument("<username>", "whose account")
    .addHelpText(
      "after",
      `\nNeeds AUTHCTL_SMTP_URL and AUTHCTL_PUBLIC_URL, as the server has them (AUTHCTL_RESET_LINK too, if set).\n${examples(`${run} send-reset ada`, `AUTHCTL_SMTP_URL=smtp://mail.example.com:587 AUTHCTL_PUBLIC_URL=https://auth.example.com ${run} send-reset ada --json`)}`,
    )
    .action(withName((commands) => commands.runSendReset));

  sub("list-users", "list users (streamed; never password hashes)")
    .addHelpText("after", examples(`${run} list-users`, `${run} list-users --json | jq -r '.[] | select(.isStaff) | .username'`))
    .action(plain((commands) => commands.runListUsers));

  sub("rotate-key", "re-seal every token under a new server key; no token changes")
    .option("--new-key-stdin", "read the new key (64 hex characters) from stdin; required with AUTHCTL_SECRET_KEY")
    .addHelpText(
      "after",
      `\nStop the servers first and restart them after: they keep the old key in memory.\n${examples(`${run} rotate-key --data-dir /var/lib/authctl`, `openssl rand -hex 32 > new.key && ${run} rotate-key --new-key-stdin < new.key`)}`,
    )
    .action(plain((commands) => commands.runRotateKey));

  admin
    .command("copy")
    .description("copy an embedded (SQLite) install into an empty PostgreSQL database: one snapshot, verified by counts before commit")
    .requiredOption("--from <url>", "sqlite:///path/to/authctl.sqlite3 (or the data directory)")
    .option("--to <url>", "postgres://user@host/database (default AUTHCTL_DATABASE_URL)")
    .option("--allow-live-source", "copy although servers are using the source (only for a source none of them writes to)")
    .option("--json", "print the result, or the error, as JSON on stdout")
    .exitOverride()
    .addHelpText(
      "after",
      examples(
        `${run} copy --from sqlite:///var/lib/authctl/authctl.sqlite3   # into AUTHCTL_DATABASE_URL`,
        `PGPASSWORD=... ${run} copy --from sqlite:///var/lib/authctl --to postgres://authctl@db.internal/authctl`,
      ),
    )
    .action(plain((commands) => commands.runCopy));

  sub("import-django", "import a Django app's users and DRF tokens (idempotent, one transaction)")
    .requiredOption("--from <url>", "the Django database: sqlite:///path/to/db.sqlite3 or postgres://…")
    .addHelpText(
      "after",
      examples(
        `${run} import-django --from sqlite:///srv/django/db.sqlite3`,
        `AUTHCTL_DATABASE_URL=postgres://authctl@db/authctl ${run} import-django --from postgres://django@db/django --json`,
      ),
    )
    .action(plain((commands) => commands.runImportDjango));
}
