import type { AdminIo } from "@authctl/server/admin-cli";
import type { Context } from "./context.js";
import { AdminRefused, ServerUnreachable, UsageError } from "./errors.js";
import { readSecretFromStdin } from "./stdin.js";

/**
 * A Context as the server package's admin commands use it: this CLI's Output, Prompter,
 * stdin and errors, so `authctl admin …` prints and exits as every other command does.
 */
export function adminIo(ctx: Context): AdminIo {
  return {
    program: "authctl",
    env: ctx.env,
    out: ctx.out,
    prompter: ctx.prompter,
    readSecret: (piped) => readSecretFromStdin(ctx.stdin, piped),
    errors: {
      usage: (message, hint) => new UsageError(message, hint),
      refused: (message, hint) => new AdminRefused(message, hint),
      unreachable: (message, hint) => new ServerUnreachable(message, hint),
    },
  };
}
