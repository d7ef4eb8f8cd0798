import type { Context } from "../context.js";
import { NotLoggedIn, ServerUnreachable } from "../errors.js";
import type { StoredAccount } from "../secrets/token-store.js";
import { requireAccount, resolveUrl, TOKEN_ENV, tokenFromEnv } from "./common.js";

export interface LogoutOptions {
  url?: string;
  username?: string;
  forget?: boolean;
}

/**
 * Revokes the token on the server, then forgets it. A token the server no
 * longer knows is forgotten too; an unreachable server keeps it (unless
 * --forget), because a token we forget but the server keeps is a leak.
 */
export async function runLogout(options: LogoutOptions, ctx: Context): Promise<void> {
  const url = await resolveUrl(ctx, options.url);
  const envToken = tokenFromEnv(ctx);
  if (envToken) {
    const outcome = await ctx.api.logout(url, envToken);
    const said = outcome === "revoked" ? "revoked" : "was already invalid";
    ctx.out.success(`The token from ${TOKEN_ENV} ${said} at ${url}; stored accounts are unchanged`);
    ctx.out.result({ url, source: TOKEN_ENV, outcome });
    return;
  }
  const account = await requireAccount(ctx, url, options.username);
  const token = await readOrForget(ctx, account);
  if (token === undefined) return;
  let outcome: "revoked" | "rejected" | "forgotten";
  try {
    outcome = await ctx.api.logout(url, token);
  } catch (error) {
    if (!(error instanceof ServerUnreachable)) throw error;
    if (!options.forget) {
      throw new ServerUnreachable(error.message, "the token is kept; try again when the server is back, or pass --forget to remove it locally anyway");
    }
    ctx.out.warn(`${error.message}; the token may still be valid on the server`);
    outcome = "forgotten";
  }
  await ctx.tokens.remove(account);
  const messages = {
    revoked: `Logged out of ${url} as ${account.username}`,
    rejected: `The server had already revoked the token of ${account.username}; removed it locally`,
    forgotten: `Removed the token of ${account.username} at ${url} locally`,
  };
  ctx.out.success(messages[outcome]);
  ctx.out.result({ url, username: account.username, outcome });
}

/** A token that vanished from its storage (deleted by hand) leaves nothing to revoke: forget the account. */
async function readOrForget(ctx: Context, account: StoredAccount): Promise<string | undefined> {
  try {
    return await ctx.tokens.read(account);
  } catch (error) {
    if (!(error instanceof NotLoggedIn)) throw error;
    await ctx.tokens.remove(account);
    ctx.out.success(`No token of ${account.username} was left in ${ctx.tokens.describe(account.storage)}; removed the account`);
    ctx.out.result({ url: account.url, username: account.username, outcome: "missing" });
    return undefined;
  }
}
