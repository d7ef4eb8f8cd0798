import type { Context } from "../context.js";
import { resolveAccount, resolveUrl, TOKEN_ENV, tokenFromEnv } from "./common.js";

export interface TokenOptions {
  url?: string;
  username?: string;
}

/** Prints the token, for `curl -H "Authorization: Token $(authctl token)"`. */
export async function runToken(options: TokenOptions, ctx: Context): Promise<void> {
  const envToken = tokenFromEnv(ctx);
  if (envToken) {
    const url = await resolveUrl(ctx, options.url);
    ctx.out.result({ url, username: null, token: envToken, source: TOKEN_ENV }, envToken);
    return;
  }
  const account = await resolveAccount(ctx, options.url, options.username);
  const token = await ctx.tokens.read(account);
  ctx.out.result({ url: account.url, username: account.username, token, source: account.storage }, token);
}
