import type { Context } from "../context.js";
import { requireAccount, resolveUrl, TOKEN_ENV, tokenFromEnv } from "./common.js";

export interface TokenOptions {
  url?: string;
  username?: string;
}

/** Prints the token, for `curl -H "Authorization: Token $(authctl token)"`. */
export async function runToken(options: TokenOptions, ctx: Context): Promise<void> {
  const envToken = tokenFromEnv(ctx);
  if (envToken) {
    ctx.out.result({ token: envToken, source: TOKEN_ENV }, envToken);
    return;
  }
  const url = await resolveUrl(ctx, options.url);
  const account = await requireAccount(ctx, url, options.username);
  const token = await ctx.tokens.read(account);
  ctx.out.result({ url, username: account.username, token, source: account.storage }, token);
}
