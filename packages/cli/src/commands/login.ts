import { hostname } from "node:os";
import type { Context } from "../context.js";
import { ServerRefused, UsageError } from "../errors.js";
import { readSecretFromStdin } from "../stdin.js";
import { sanitizeLine } from "../text.js";
import { resolveUrl } from "./common.js";
import { deliverToken, prepare, type CredentialOptions } from "./credentials.js";

export interface LoginOptions extends CredentialOptions {
  /** Read a token (not a password) on stdin and keep it. */
  withToken?: boolean;
  /** Names this device's token where the server keeps one per login (default: this machine's host name). */
  name?: string;
}

const TRIES = 3;

/** Exchanges a username and password (or, with --with-token, a token) for a kept token. */
export async function runLogin(options: LoginOptions, ctx: Context): Promise<void> {
  const url = await resolveUrl(ctx, options.url);
  if (options.withToken) return loginWithToken(options, ctx, url);
  const piped = await prepare(ctx, url, options, "Logging in to");
  let typed: string | undefined;
  for (let attempt = 1; ; attempt += 1) {
    // After a refusal both are asked again (the username offered as the default): either may be the typo.
    const count = attempt === 1 ? "" : ` (attempt ${attempt} of ${TRIES})`;
    typed = options.username ?? (await ctx.prompter.text(`Username${count}`, "--username", { default: typed }));
    const username = typed.trim();
    const password = piped ?? (await ctx.prompter.secret(`Password${count}`, "--password-stdin"));
    try {
      const issued = await ctx.api.login(url, username, password, options.name ?? hostname());
      await deliverToken(ctx, { url, username, ...issued }, options, `Logged in to ${url} as ${username}`);
      return;
    } catch (error) {
      // Typed credentials get three tries, as sudo gives; a piped password cannot change.
      if (!(error instanceof ServerRefused) || piped !== undefined || attempt === TRIES) throw error;
      ctx.out.error(error.human);
    }
  }
}

/** `printf %s "$TOKEN" | authctl login --with-token`: checked with the server, then kept. */
async function loginWithToken(options: LoginOptions, ctx: Context, url: string): Promise<void> {
  const token = await readSecretFromStdin(ctx.stdin, { flag: "--with-token", what: "token" });
  const check = await ctx.api.check(url, token);
  if (check.state === "rejected") {
    throw new ServerRefused(
      `the server rejected the token: ${check.detail}`,
      { detail: check.detail },
      `get a new token with: authctl login --url ${url}`,
    );
  }
  const known = check.account?.username;
  if (known !== undefined && options.username !== undefined && known !== options.username) {
    throw new UsageError(`the token belongs to ${sanitizeLine(known)}, not ${options.username}`);
  }
  const username = known ?? options.username;
  if (username === undefined) {
    throw new UsageError("--username is required with --with-token: this server cannot say whose token it is (no /account/me/)");
  }
  await deliverToken(ctx, { url, username, token }, options, `Logged in to ${url} as ${sanitizeLine(username)}`);
}
