import { UsageError } from "./errors.js";

export type ServerModule = typeof import("@authctl/server");
type AccountFields = typeof import("@authctl/server/account-fields");
export type AdminCli = typeof import("@authctl/server/admin-cli");

/** How to get the server package, which the CLI does not install (an optional peer): `serve` and `admin` run it, nothing else needs it. */
const INSTALL_SERVER = "install @authctl/server next to authctl (npm install -g @authctl/server, or its packed tarball)";

/** Whether a failed import is the server package being absent (not a fault inside it). */
const isMissing = (error: unknown) => {
  const { code, message } = error as NodeJS.ErrnoException;
  return code === "ERR_MODULE_NOT_FOUND" && message.includes("'@authctl/server");
};

/** The server package, for `command`; a usage error naming what to install when it is not installed. */
export async function importServer(command: string): Promise<ServerModule> {
  try {
    return await import("@authctl/server");
  } catch (error) {
    throw notInstalled(error, command);
  }
}

/** The server package's admin commands, which `authctl admin` mounts; a usage error naming what to install when it is not installed. */
export async function importAdminCli(): Promise<AdminCli> {
  try {
    return await import("@authctl/server/admin-cli");
  } catch (error) {
    throw notInstalled(error, "authctl admin");
  }
}

/** A failed import as a usage error naming what to install, when it is the server package being absent. */
function notInstalled(error: unknown, command: string): unknown {
  return isMissing(error) ? new UsageError(`${command} needs the server package, which is not installed: ${INSTALL_SERVER}`) : error;
}

/** The server's own username and email rules, to check typed values before sending; undefined without the server package (the server checks them anyway). */
export async function importAccountFields(): Promise<AccountFields | undefined> {
  try {
    return await import("@authctl/server/account-fields");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}
