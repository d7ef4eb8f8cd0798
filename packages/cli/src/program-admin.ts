import type { Command } from "commander";
import type { Context } from "./context.js";
import { examples } from "./help.js";

const TARGET_HELP = `
The database is the one a server started with the same environment uses:
AUTHCTL_DATABASE_URL (postgres://…) when set, else authctl.sqlite3 in
--data-dir (default AUTHCTL_DATA_DIR or ./data); a missing one is refused
(exit 2), except by create-user and import-django, which create it. Token
keys come from AUTHCTL_SECRET_KEY or the data directory's secret.key, as for
the server.`;

type Load = () => Promise<(...args: never[]) => Promise<unknown>>;

/** `authctl admin …`: like Django's manage.py, on the database itself; loads the server package only when run. */
export function defineAdminCommands(program: Command, context: (command: Command) => Promise<Context>): void {
  const admin = program
    .command("admin")
    .description("administer accounts directly in the server's database, like Django's manage.py")
    .exitOverride()
    .addHelpText("after", TARGET_HELP);

  const sub = (name: string, description: string) =>
    admin
      .command(name)
      .description(description)
      .option("--data-dir <dir>", "data directory of a SQLite install (default AUTHCTL_DATA_DIR or ./data)")
      .option("--json", "print the result, or the error, as JSON on stdout")
      .exitOverride();

  // Each action loads its command on first use, keeping --help fast.
  const withName = (load: Load) =>
    async function (this: Command, name: string) {
      const run = (await load()) as (name: string, options: object, ctx: Context) => Promise<void>;
      await run(name, this.opts(), await context(this));
    };
  const plain = (load: Load) =>
    async function (this: Command) {
      const run = (await load()) as (options: object, ctx: Context) => Promise<void>;
      await run(this.opts(), await context(this));
    };

  sub("create-user", "create a user (no token until their first login)")
    .argument("<username>", "the new username")
    .option("-e, --email <address>", "email address (prompted when missing)")
    .option("--staff", "mark the user as staff")
    .option("--superuser", "mark the user as superuser (and staff)")
    .option("--password-stdin", "read the password from stdin instead of prompting")
    .addHelpText("after", examples("authctl admin create-user ada -e ada@example.com", 'printf %s "$PW" | authctl admin create-user root -e root@example.com --superuser --password-stdin'))
    .action(withName(async () => (await import("./commands/admin/create-user.js")).runCreateUser));

  sub("set-password", "set a user's password (their token stays valid)")
    .argument("<username>", "whose password")
    .option("--password-stdin", "read the password from stdin instead of prompting")
    .addHelpText("after", examples("authctl admin set-password ada", 'printf %s "$PW" | authctl admin set-password ada --password-stdin'))
    .action(withName(async () => (await import("./commands/admin/set-password.js")).runSetPassword));

  for (const [name, active] of [["activate", true], ["deactivate", false]] as const) {
    sub(name, active ? "let a user log in again" : "stop a user logging in; their token is refused until activated")
      .argument("<username>", "whose account")
      .addHelpText("after", examples(`authctl admin ${name} ada`, `AUTHCTL_DATABASE_URL=postgres://authctl@db/authctl authctl admin ${name} ada --json`))
      .action(withName(async () => {
        const { runSetActive } = await import("./commands/admin/activate.js");
        return (username: string, options: object, ctx: Context) => runSetActive(active, username, options, ctx);
      }));
  }

  sub("revoke-tokens", "delete a user's token, or every token (users log in again)")
    .option("--user <name>", "revoke this user's token")
    .option("--all", "revoke every token")
    .addHelpText("after", examples("authctl admin revoke-tokens --user ada", "authctl admin revoke-tokens --all --json"))
    .action(plain(async () => (await import("./commands/admin/revoke-tokens.js")).runRevokeTokens));

  sub("send-reset", "mail a user a password reset link, as the server's password/reset/ does")
    .argument("<username>", "whose account")
    .addHelpText(
      "after",
      `\nNeeds AUTHCTL_SMTP_URL and AUTHCTL_PUBLIC_URL, as the server has them (AUTHCTL_RESET_LINK too, if set).\n${examples("authctl admin send-reset ada", "AUTHCTL_SMTP_URL=smtp://mail.example.com:587 AUTHCTL_PUBLIC_URL=https://auth.example.com authctl admin send-reset ada --json")}`,
    )
    .action(withName(async () => (await import("./commands/admin/send-reset.js")).runSendReset));

  sub("list-users", "list users (streamed; never password hashes)")
    .addHelpText("after", examples("authctl admin list-users", "authctl admin list-users --json | jq -r '.[] | select(.isStaff) | .username'"))
    .action(plain(async () => (await import("./commands/admin/list-users.js")).runListUsers));

  sub("rotate-key", "re-seal every token under a new server key; no token changes")
    .option("--new-key-stdin", "read the new key (64 hex characters) from stdin; required with AUTHCTL_SECRET_KEY")
    .addHelpText("after", `\nStop the servers first and restart them after: they keep the old key in memory.\n${examples("authctl admin rotate-key --data-dir /var/lib/authctl", "openssl rand -hex 32 > new.key && authctl admin rotate-key --new-key-stdin < new.key")}`)
    .action(plain(async () => (await import("./commands/admin/rotate-key.js")).runRotateKey));

  admin
    .command("copy")
    .description("copy an embedded (SQLite) install into an empty PostgreSQL database: one snapshot, verified by counts before commit")
    .requiredOption("--from <url>", "sqlite:///path/to/authctl.sqlite3 (or the data directory)")
    .option("--to <url>", "postgres://user@host/database (default AUTHCTL_DATABASE_URL)")
    .option("--allow-live-source", "copy although servers are using the source (only for a source none of them writes to)")
    .option("--json", "print the result, or the error, as JSON on stdout")
    .exitOverride()
    .addHelpText("after", examples("authctl admin copy --from sqlite:///var/lib/authctl/authctl.sqlite3   # into AUTHCTL_DATABASE_URL", "PGPASSWORD=... authctl admin copy --from sqlite:///var/lib/authctl --to postgres://authctl@db.internal/authctl"))
    .action(plain(async () => (await import("./commands/admin/copy.js")).runCopy));

  sub("import-django", "import a Django app's users and DRF tokens (idempotent, one transaction)")
    .requiredOption("--from <url>", "the Django database: sqlite:///path/to/db.sqlite3 or postgres://…")
    .addHelpText("after", examples("authctl admin import-django --from sqlite:///srv/django/db.sqlite3", "AUTHCTL_DATABASE_URL=postgres://authctl@db/authctl authctl admin import-django --from postgres://django@db/django --json"))
    .action(plain(async () => (await import("./commands/admin/import-django.js")).runImportDjango));
}
