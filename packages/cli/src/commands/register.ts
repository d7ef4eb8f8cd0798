import { assertSafeForPassword } from "../base-url.js";
import type { Context } from "../context.js";
import { readSecretFromStdin } from "../stdin.js";
import { keepToken, resolveUrl } from "./common.js";
import type { LoginOptions } from "./login.js";

export interface RegisterOptions extends LoginOptions {
  email?: string;
}

/**
 * Creates an account and keeps its token. A prompted password is asked twice
 * and both answers go to the server, which judges them as the API's
 * `password` and `password2`.
 */
export async function runRegister(options: RegisterOptions, ctx: Context): Promise<void> {
  const url = await resolveUrl(ctx, options.url);
  assertSafeForPassword(url, options.insecureHttp === true);
  const piped = options.passwordStdin ? await readSecretFromStdin(ctx.stdin) : undefined;
  const username = options.username ?? (await ctx.prompter.text("Username", "--username"));
  const email = options.email ?? (await ctx.prompter.text("Email", "--email"));
  const password = piped ?? (await ctx.prompter.secret("Password", "--password-stdin"));
  const password2 = piped ?? (await ctx.prompter.secret("Password (again)", "--password-stdin"));
  const account = await ctx.api.register(url, { username, email, password, password2 });
  const { storage, location } = await keepToken(ctx, url, account.username, account.token, options.insecureStorage);
  ctx.out.success(`Registered ${account.username} at ${url}; token stored in ${location}`);
  ctx.out.result({ url, username: account.username, email: account.email, storage });
}
