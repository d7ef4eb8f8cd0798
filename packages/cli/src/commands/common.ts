import { resolveBaseUrl } from "../base-url.js";
import type { Context } from "../context.js";
import { NotLoggedIn, StorageFailed, TokenExpired, UsageError } from "../errors.js";
import { isTokenRejection } from "../refusals.js";
import type { StoredAccount } from "../secrets/token-store.js";

export const TOKEN_ENV = "AUTHCTL_TOKEN";

/** `--url` > `AUTHCTL_URL` > the current server > the default. */
export async function resolveUrl(ctx: Context, flag: string | undefined): Promise<string> {
  // Read even when --url names the server: a config that cannot be used must stop the command
  // before credentials are sent and a token is issued that could not be kept.
  return resolveBaseUrl(flag, ctx.env, await ctx.tokens.currentUrl());
}

/** Whether the server was named (--url or AUTHCTL_URL) rather than taken from the config. */
export function urlGiven(ctx: Context, flag: string | undefined): boolean {
  return flag !== undefined || Boolean(ctx.env.AUTHCTL_URL);
}

/** The token handed over in AUTHCTL_TOKEN, which overrides any stored one; says so on stderr. */
export function tokenFromEnv(ctx: Context): string | undefined {
  const token = ctx.env[TOKEN_ENV] || undefined;
  if (token !== undefined) ctx.out.notice(`using the token from ${TOKEN_ENV}, not the stored one`);
  return token;
}

/** Who a command acts as: the token it sends, and the stored account it came from (none for AUTHCTL_TOKEN). */
export interface Credentials {
  url: string;
  token: string;
  account?: StoredAccount;
}

/** AUTHCTL_TOKEN (with its notice) at the server in use, else the stored account `resolveAccount` finds, with its token. */
export async function credentials(ctx: Context, flag: string | undefined, username: string | undefined): Promise<Credentials> {
  const token = tokenFromEnv(ctx);
  if (token !== undefined) return { url: await resolveUrl(ctx, flag), token };
  const account = await resolveAccount(ctx, flag, username);
  return { url: account.url, token: await ctx.tokens.read(account), account };
}

/**
 * Runs `work` as the account `credentials` finds. A refusal of its token
 * after the expiry the server gave at login is reported as an expired token.
 */
export async function asSignedIn<T>(
  ctx: Context,
  flag: string | undefined,
  username: string | undefined,
  work: (signedIn: Credentials) => Promise<T>,
): Promise<T> {
  const signedIn = await credentials(ctx, flag, username);
  try {
    return await work(signedIn);
  } catch (error) {
    throw (isTokenRejection(error) && expiredToken(signedIn.account)) || error;
  }
}

/** The stored account's token has passed the expiry the server gave for it: how to say so. */
export function expiredToken(account: StoredAccount | undefined, now = Date.now()): TokenExpired | undefined {
  if (account?.expiry === undefined || Date.parse(account.expiry) > now) return undefined;
  const { url, username, expiry } = account;
  return new TokenExpired(
    `the token of ${username} at ${url} expired at ${expiry}`,
    `log in again: authctl login --url ${url} --username ${username}`,
  );
}

/** How messages name the account acted on. */
export function whose({ url, account }: Credentials): string {
  return account === undefined ? `the account of the ${TOKEN_ENV} token at ${url}` : `${account.username} at ${url}`;
}

/**
 * The stored account a command acts on. With a server named, its account
 * (`-u` or the active one). With only `-u`, whichever server holds that
 * username. With neither, the current server's active account.
 */
export async function resolveAccount(ctx: Context, flag: string | undefined, username: string | undefined): Promise<StoredAccount> {
  if (username !== undefined && !urlGiven(ctx, flag)) return findByUsername(ctx, username);
  const url = await resolveUrl(ctx, flag);
  const account = await ctx.tokens.find(url, username);
  if (account) return account;
  const who = username === undefined ? "" : ` as ${username}`;
  const others = (await ctx.tokens.list()).length;
  const hint = `authctl login --url ${url}${username ? ` --username ${username}` : ""}${others > 0 ? " (or see authctl status for the stored accounts)" : ""}`;
  throw new NotLoggedIn(`not logged in to ${url}${who}`, hint);
}

async function findByUsername(ctx: Context, username: string): Promise<StoredAccount> {
  const matches = await ctx.tokens.withUsername(username);
  const [first] = matches;
  if (first === undefined)
    throw new NotLoggedIn(`no stored account ${username} on any server`, `authctl login --url <server> --username ${username}`);
  if (matches.length === 1) return first;
  const urls = matches.map((account) => account.url);
  throw new UsageError(`${username} is stored for several servers: ${urls.join(", ")}`, `name one with --url, e.g. --url ${first.url}`);
}

/** Stores a fresh token and tells the person where it went. */
export async function keepToken(
  ctx: Context,
  url: string,
  username: string,
  token: string,
  insecureStorage: boolean | undefined,
  expiry?: string,
): Promise<{ storage: string; location: string }> {
  let saved;
  try {
    saved = await ctx.tokens.save(url, username, token, insecureStorage === true, expiry);
  } catch (error) {
    if (!(error instanceof StorageFailed)) throw error;
    // Nothing is lost: the server keeps the token and hands it out again at login.
    throw new StorageFailed(
      error.message,
      `the account is fine on the server; once storage works, run: authctl login --url ${url} --username ${username}`,
    );
  }
  const location = ctx.tokens.describe(saved.storage);
  if (saved.fallbackReason) ctx.out.warn(`token stored in plaintext in ${ctx.tokens.file.path}: ${saved.fallbackReason}`);
  return { storage: saved.storage, location };
}
