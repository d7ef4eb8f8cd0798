import type { Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { withTarget, type AdminOptions } from "./common.js";

export interface RevokeTokensOptions extends AdminOptions {
  user?: string;
  all?: boolean;
}

/** `authctl admin revoke-tokens --user NAME | --all`: deletes tokens; their users log in again to get new ones. */
export async function runRevokeTokens(options: RevokeTokensOptions, ctx: Context): Promise<void> {
  if ((options.user === undefined) === (options.all !== true)) {
    throw new UsageError("give exactly one of --user NAME or --all");
  }
  const revoked = await withTarget(ctx, options, (target, server) => server.admin.revokeTokens(target, options.user));
  const whose = options.user === undefined ? "every user" : options.user;
  ctx.out.success(`Revoked ${revoked} token${revoked === 1 ? "" : "s"} of ${whose}`);
  ctx.out.result({ revoked, user: options.user ?? null });
}
