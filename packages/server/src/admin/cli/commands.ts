import { KeyMismatch } from "../../auth/secret-key.js";
import { loadConfig, SettingsError, type ServerConfig } from "../../config.js";
import { StoreUnavailable } from "../../store/store.js";
import { changeActive, changePassword, createUser, listUsers, revokeTokens, sendReset } from "../accounts.js";
import { AdminError } from "../admin-error.js";
import { copyDatabase } from "../copy.js";
import { importDjango } from "../import-django.js";
import { openAdminTarget, type AdminTarget } from "../open-admin.js";
import { parseKey, rotateKey } from "../rotate-key.js";
import { sanitize, type AdminIo } from "./io.js";

// The admin commands (`authctl-server admin …`, `authctl admin …`): each reads its options, opens the
// database the settings name, does its work and says what it did, through the AdminIo it is given.

export interface AdminOptions {
  dataDir?: string;
}

export interface CreateUserOptions extends AdminOptions {
  email?: string;
  staff?: boolean;
  superuser?: boolean;
  passwordStdin?: boolean;
}

export interface SetPasswordOptions extends AdminOptions {
  passwordStdin?: boolean;
}

export interface RevokeTokensOptions extends AdminOptions {
  user?: string;
  all?: boolean;
}

export interface RotateKeyOptions extends AdminOptions {
  newKeyStdin?: boolean;
}

export interface CopyOptions {
  from?: string;
  to?: string;
  allowLiveSource?: boolean;
}

export interface ImportDjangoOptions extends AdminOptions {
  from?: string;
}

/** `admin create-user NAME`: manage.py createuser/createsuperuser. */
export async function runCreateUser(username: string, options: CreateUserOptions, io: AdminIo): Promise<void> {
  const email = options.email ?? (await io.prompter.text("Email", "--email"));
  if (email === "") throw io.errors.usage("--email must not be empty");
  const password = await newPassword(io, username, options.passwordStdin);
  const user = await withTarget(
    io,
    options,
    (target) =>
      createUser(target, {
        username,
        email,
        password,
        isStaff: options.staff === true || options.superuser === true,
        isSuperuser: options.superuser === true,
      }),
    true,
  );
  const role = user.isSuperuser ? "superuser" : user.isStaff ? "staff user" : "user";
  io.out.success(`Created ${role} ${user.username} <${user.email}>`);
  io.out.result({ created: user });
}

/** `admin set-password NAME`: manage.py changepassword. The user's token stays valid. */
export async function runSetPassword(username: string, options: SetPasswordOptions, io: AdminIo): Promise<void> {
  const password = await newPassword(io, username, options.passwordStdin);
  await withTarget(io, options, (target) => changePassword(target, username, password));
  io.out.success(`Set a new password for ${username}`);
  io.out.result({ username, passwordChanged: true });
}

/** `admin activate NAME` / `deactivate NAME`: sets is_active; an inactive user cannot log in and their token is refused. */
export async function runSetActive(active: boolean, username: string, options: AdminOptions, io: AdminIo): Promise<void> {
  const changed = await withTarget(io, options, (target) => changeActive(target, username, active));
  const state = active ? "active" : "inactive";
  if (changed) io.out.success(`${username} is now ${state}`);
  else io.out.info(`${username} was already ${state}; nothing changed`);
  io.out.result({ username, isActive: active, changed });
}

/** `admin revoke-tokens --user NAME | --all`: deletes tokens; their users log in again to get new ones. */
export async function runRevokeTokens(options: RevokeTokensOptions, io: AdminIo): Promise<void> {
  if ((options.user === undefined) === (options.all !== true)) {
    throw io.errors.usage("give exactly one of --user NAME or --all");
  }
  const revoked = await withTarget(io, options, (target) => revokeTokens(target, options.user));
  const whose = options.user === undefined ? "every user" : options.user;
  io.out.success(`Revoked ${revoked} token${revoked === 1 ? "" : "s"} of ${whose}`);
  io.out.result({ revoked, user: options.user ?? null });
}

/** `admin send-reset NAME`: the reset mail, sent now; the link itself is never printed. */
export async function runSendReset(username: string, options: AdminOptions, io: AdminIo): Promise<void> {
  const sent = await withTarget(io, options, (target) => sendReset(target, username));
  io.out.success(`Sent a password reset link to ${sanitize(sent.username)} at ${sanitize(sent.email)}`);
  io.out.result({ username: sent.username, email: sent.email, sent: true });
}

/** `admin list-users`: every user, read and printed page by page; never a password hash. */
export async function runListUsers(options: AdminOptions, io: AdminIo): Promise<void> {
  const { out } = io;
  await withTarget(io, options, async (target) => {
    let count = 0;
    if (out.json) out.data("[");
    for await (const user of listUsers(target)) {
      if (out.json) out.data(`${count === 0 ? "\n" : ",\n"}${JSON.stringify(user)}`);
      else {
        const flags = [
          user.isActive ? "active" : "inactive",
          user.isStaff ? "staff" : "",
          user.isSuperuser ? "superuser" : "",
          user.usablePassword ? "" : "no-password",
        ];
        const names = `${sanitize(user.firstName)}\t${sanitize(user.lastName)}`;
        out.data(
          `${sanitize(user.username)}\t${sanitize(user.email)}\t${flags.filter(Boolean).join(",")}\t${user.dateJoined}\t${user.lastLogin ?? "never"}\t${names}\n`,
        );
      }
      count += 1;
    }
    if (out.json) out.data(`${count === 0 ? "" : "\n"}]\n`);
    out.info(`${count} user${count === 1 ? "" : "s"} in ${target.name}`);
  });
}

/** `admin rotate-key`: re-seals every token under a new server key; no token changes value. */
export async function runRotateKey(options: RotateKeyOptions, io: AdminIo): Promise<void> {
  const text = options.newKeyStdin
    ? await io.readSecret({ flag: "--new-key-stdin", what: "new key", command: `${io.program} admin rotate-key` })
    : undefined;
  const summary = await withTarget(io, options, async (target) => rotateKey(target, text === undefined ? undefined : parseKey(text)));
  const where = summary.keyWrittenTo ?? "AUTHCTL_SECRET_KEY (set it to the new key before restarting the servers)";
  io.out.success(`Re-sealed ${summary.resealed} tokens under the new key in ${where}; restart every server now`);
  if (summary.unopenable > 0) io.out.warn(`${summary.unopenable} tokens could not be opened with the old key and were left as they were`);
  io.out.result(summary);
}

/** `admin copy --from sqlite:///… --to postgres://…`: moves an embedded install to PostgreSQL, checked by counts. */
export async function runCopy(options: CopyOptions, io: AdminIo): Promise<void> {
  const to = options.to ?? (io.env.AUTHCTL_DATABASE_URL || undefined);
  if (options.from === undefined || to === undefined) {
    throw io.errors.usage("--from is required, and --to unless AUTHCTL_DATABASE_URL names the target");
  }
  if (options.to !== undefined) warnIfPasswordInArgument(io, options.to, "--to");
  warnIfPasswordInArgument(io, options.from, "--from");
  let summary;
  try {
    summary = await copyDatabase(options.from, to, serverConfig(io, {}), { allowLiveSource: options.allowLiveSource === true });
  } catch (error) {
    throw asAdminError(error, io);
  }
  io.out.success(`Copied ${summary.users} users and ${summary.tokens} tokens from ${summary.from} to ${summary.to} (counts verified)`);
  io.out.info(
    "Start the servers with the same secret key (the data directory's secret.key, or AUTHCTL_SECRET_KEY) so every token keeps working.",
  );
  io.out.result(summary);
}

/** `admin import-django --from sqlite:///db.sqlite3`: Django's users and DRF tokens, in one transaction. */
export async function runImportDjango(options: ImportDjangoOptions, io: AdminIo): Promise<void> {
  const from = options.from;
  if (from === undefined) throw io.errors.usage("--from is required: sqlite:///path/to/db.sqlite3 or postgres://…");
  warnIfPasswordInArgument(io, from, "--from");
  const summary = await withTarget(io, options, async (target) => importDjango(target, from, await target.vault()), true);
  const { users, tokens } = summary;
  io.out.info(`Read ${users.read} users from ${summary.source}`);
  io.out.info(`  imported ${users.imported}, already there ${users.alreadyThere}, skipped ${users.skipped}`);
  io.out.info(`  tokens imported ${tokens.imported}, already there ${tokens.alreadyThere}`);
  for (const { username, reason } of summary.skipped) io.out.info(`  skipped ${sanitize(username)}: ${reason}`);
  if (summary.changed) io.out.success(`Imported into ${summary.target}`);
  else io.out.info(`Nothing changed in ${summary.target}: everything was imported before`);
  io.out.result(summary);
}

/** The server's settings (the environment, and --data-dir), as a server started here would have them; a bad one throws SettingsError (a usage error). */
function serverConfig(io: AdminIo, options: AdminOptions): ServerConfig {
  return loadConfig(io.env, { dataDir: options.dataDir });
}

/**
 * Opens the database a server with this environment uses (AUTHCTL_DATABASE_URL, else the data directory), runs `work`, closes it.
 * A missing SQLite database is a usage error, unless the command `creates` one; then it says so.
 */
async function withTarget<T>(io: AdminIo, options: AdminOptions, work: (target: AdminTarget) => Promise<T>, creates = false): Promise<T> {
  let target: AdminTarget;
  try {
    target = await openAdminTarget(serverConfig(io, options), { create: creates });
  } catch (error) {
    throw asAdminError(error, io);
  }
  if (target.created) io.out.info(`Created a new database at ${target.name}`);
  try {
    return await work(target);
  } catch (error) {
    throw asAdminError(error, io);
  } finally {
    await target.close();
  }
}

/** The server's typed errors as the runner's, with their exit codes; hints that name `authctl admin` name the program being run. */
function asAdminError(error: unknown, io: AdminIo): unknown {
  const named = (text: string) => (io.program === "authctl" ? text : text.replaceAll("authctl admin ", `${io.program} admin `));
  const hinted = (text: string | undefined) => (text === undefined ? undefined : named(text));
  if (error instanceof SettingsError) return io.errors.usage(error.message);
  if (error instanceof AdminError)
    return (error.kind === "usage" ? io.errors.usage : io.errors.refused)(named(error.message), hinted(error.hint));
  if (error instanceof StoreUnavailable)
    return io.errors.unreachable(error.message, "check AUTHCTL_DATABASE_URL and that PostgreSQL is running (pg_isready)");
  if (error instanceof KeyMismatch) return io.errors.refused(error.message);
  return error;
}

/** A new password for `username`: from stdin with --password-stdin, else asked twice at the terminal, naming whose it is. */
async function newPassword(io: AdminIo, username: string, fromStdin: boolean | undefined): Promise<string> {
  if (fromStdin) return io.readSecret({ flag: "--password-stdin", what: "password", command: `${io.program} admin set-password NAME` });
  const first = await io.prompter.secret(`New password for ${username}`, "--password-stdin");
  const again = await io.prompter.secret(`New password for ${username} (again)`, "--password-stdin");
  if (first !== again) throw io.errors.usage("the two passwords differ");
  return first;
}

/** A password inside a URL given as an argument shows in `ps` to every user of the machine: say so. */
function warnIfPasswordInArgument(io: AdminIo, url: string, flag: string): void {
  let password = "";
  try {
    password = new URL(url).password;
  } catch {
    return;
  }
  if (password !== "") {
    io.out.warn(
      `the ${flag} URL holds a password, which other users of this machine can see in the process list; use PGPASSWORD or ~/.pgpass instead`,
    );
  }
}
