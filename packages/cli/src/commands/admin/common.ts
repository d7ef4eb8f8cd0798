import type { Context } from "../../context.js";
import { AdminRefused, CliError, ServerUnreachable, UsageError } from "../../errors.js";
import { readSecretFromStdin } from "../../stdin.js";
import { importServer, type ServerModule } from "../../server-package.js";

export type AdminTarget = import("@authctl/server").admin.AdminTarget;
type ServerConfig = import("@authctl/server").ServerConfig;

export interface AdminOptions {
  dataDir?: string;
}

/** The server package, loaded only by admin commands: the rest of the CLI never touches a database. */
export function loadServer(): Promise<ServerModule> {
  return importServer("authctl admin");
}

/** The server's settings (the environment, and --data-dir), as a server started here would have them; a bad one throws SettingsError (asCliError: usage). */
export function serverConfig(ctx: Context, server: ServerModule, options: AdminOptions): ServerConfig {
  return server.loadConfig(ctx.env, { dataDir: options.dataDir });
}

/**
 * Opens the database a server with this environment uses (AUTHCTL_DATABASE_URL, else the data directory), runs `work`, closes it.
 * A missing SQLite database is a usage error, unless the command `creates` one; then it says so.
 */
export async function withTarget<T>(
  ctx: Context,
  options: AdminOptions,
  work: (target: AdminTarget, server: ServerModule) => Promise<T>,
  creates = false,
): Promise<T> {
  const server = await loadServer();
  let target: AdminTarget;
  try {
    target = await server.admin.openAdminTarget(serverConfig(ctx, server, options), { create: creates });
  } catch (error) {
    throw asCliError(error, server);
  }
  if (target.created) ctx.out.info(`Created a new database at ${target.name}`);
  try {
    return await work(target, server);
  } catch (error) {
    throw asCliError(error, server);
  } finally {
    await target.close();
  }
}

/** The server package's typed errors as the CLI's, with their exit codes. */
export function asCliError(error: unknown, server: ServerModule): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof server.SettingsError) return new UsageError(error.message);
  if (error instanceof server.admin.AdminError) {
    return error.kind === "usage" ? new UsageError(error.message, error.hint) : new AdminRefused(error.message, error.hint);
  }
  if (error instanceof server.StoreUnavailable) {
    return new ServerUnreachable(error.message, "check AUTHCTL_DATABASE_URL and that PostgreSQL is running (pg_isready)");
  }
  if (error instanceof server.KeyMismatch) return new AdminRefused(error.message);
  return error;
}

/** A new password for `username`: from stdin with --password-stdin, else asked twice at the terminal, naming whose it is. */
export async function newPassword(ctx: Context, username: string, fromStdin: boolean | undefined): Promise<string> {
  if (fromStdin) return readSecretFromStdin(ctx.stdin, { command: "authctl admin set-password NAME" });
  const first = await ctx.prompter.secret(`New password for ${username}`, "--password-stdin");
  const again = await ctx.prompter.secret(`New password for ${username} (again)`, "--password-stdin");
  if (first !== again) throw new UsageError("the two passwords differ");
  return first;
}

/** A password inside a URL given as an argument shows in `ps` to every user of the machine: say so. */
export function warnIfPasswordInArgument(ctx: Context, url: string, flag: string): void {
  let password = "";
  try {
    password = new URL(url).password;
  } catch {
    return;
  }
  if (password !== "") {
    ctx.out.warn(`the ${flag} URL holds a password, which other users of this machine can see in the process list; use PGPASSWORD or ~/.pgpass instead`);
  }
}
