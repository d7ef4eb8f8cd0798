import { assertSafeForPassword } from "../base-url.js";
import type { Context } from "../context.js";
import { readSecretFromStdin } from "../stdin.js";
import { keepToken } from "./common.js";
import { expiresIn } from "./tokens.js";

/** The flags register and login share. */
export interface CredentialOptions {
  url?: string;
  username?: string;
  passwordStdin?: boolean;
  insecureHttp?: boolean;
  insecureStorage?: boolean;
  /** False with --no-store: print the token, keep nothing. */
  store?: boolean;
}

/**
 * What every password command does first, before anything is typed: refuse
 * an unsafe route, say which server is used, and check an account API answers there.
 */
export async function prepare(ctx: Context, url: string, options: CredentialOptions, verb: string): Promise<string | undefined> {
  await assertSafeForPassword(url, options.insecureHttp === true);
  const piped = options.passwordStdin ? await readSecretFromStdin(ctx.stdin) : undefined;
  ctx.out.info(`${verb} ${url}`);
  await ctx.api.probe(url);
  return piped;
}

/**
 * A new password, asked twice at a terminal and compared here, so a typo
 * costs a retry rather than a refusal. Both answers still go to the server,
 * which judges them (as `password` and `password2` at registration).
 */
export async function askNewPassword(ctx: Context, label = "Password"): Promise<[string, string]> {
  for (let attempt = 1; ; attempt += 1) {
    const password = await ctx.prompter.secret(label, "--password-stdin");
    const again = await ctx.prompter.secret(`${label} (again)`, "--password-stdin");
    if (password === again || attempt === 3) return [password, again];
    ctx.out.warn("the passwords differ; try again");
  }
}

/**
 * Keeps the token (with the expiry the server gave, if any) and reports the
 * result, or with --no-store prints the token and keeps nothing.
 */
export async function deliverToken(
  ctx: Context,
  account: { url: string; username: string; token: string; expiry?: string; email?: string },
  options: CredentialOptions,
  done: string,
): Promise<void> {
  const { token, ...shown } = account;
  const expires = account.expiry === undefined ? "" : `; it expires ${expiresIn(account.expiry, Date.now())} (${account.expiry})`;
  if (options.store === false) {
    ctx.out.success(`${done}; token not stored (--no-store)${expires}`);
    ctx.out.result({ ...shown, storage: "none", token }, token);
    return;
  }
  const { storage, location } = await keepToken(ctx, account.url, account.username, token, options.insecureStorage, account.expiry);
  ctx.out.success(`${done}; token stored in ${location}${expires}`);
  ctx.out.result({ ...shown, storage });
}
