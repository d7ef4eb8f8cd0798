import { assertSafeForPassword } from "../base-url.js";
import type { Context } from "../context.js";
import { readSecretFromStdin } from "../stdin.js";
import { keepToken, resolveUrl } from "./common.js";

/** The flags register and login share. */
export interface LoginOptions {
  url?: string;
  username?: string;
  passwordStdin?: boolean;
  insecureHttp?: boolean;
  insecureStorage?: boolean;
}

/** Exchanges a username and password for the account's token and keeps it. */
export async function runLogin(options: LoginOptions, ctx: Context): Promise<void> {
  const url = await resolveUrl(ctx, options.url);
  assertSafeForPassword(url, options.insecureHttp === true);
  const piped = options.passwordStdin ? await readSecretFromStdin(ctx.stdin) : undefined;
  const username = (options.username ?? (await ctx.prompter.text("Username", "--username"))).trim();
  const password = piped ?? (await ctx.prompter.secret("Password", "--password-stdin"));
  const token = await ctx.api.login(url, username, password);
  const { storage, location } = await keepToken(ctx, url, username, token, options.insecureStorage);
  ctx.out.success(`Logged in to ${url} as ${username}; token stored in ${location}`);
  ctx.out.result({ url, username, storage });
}
