import { adminIo } from "../../packages/cli/src/admin-io.js";
import type { Context } from "../../packages/cli/src/context.js";
import * as commands from "../../packages/server/src/admin/cli/commands.js";
import type { AdminIo } from "../../packages/server/src/admin/cli/io.js";

export type { CreateUserOptions } from "../../packages/server/src/admin/cli/commands.js";

/** A server admin command run with a CLI Context, through the adapter `authctl admin` uses. */
const withContext =
  <A extends unknown[]>(run: (...args: [...A, AdminIo]) => Promise<void>) =>
  (...args: [...A, Context]): Promise<void> => {
    const ctx = args.pop() as Context;
    return run(...(args as unknown as A), adminIo(ctx));
  };

// The admin commands as `authctl admin` runs them, for the in-process tests.
export const runCreateUser = withContext(commands.runCreateUser);
export const runSetPassword = withContext(commands.runSetPassword);
export const runSetActive = withContext(commands.runSetActive);
export const runRevokeTokens = withContext(commands.runRevokeTokens);
export const runListUsers = withContext(commands.runListUsers);
export const runRotateKey = withContext(commands.runRotateKey);
export const runCopy = withContext(commands.runCopy);
export const runImportDjango = withContext(commands.runImportDjango);
