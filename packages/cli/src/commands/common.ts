import { resolveBaseUrl } from "../base-url.js";
import type { Context } from "../context.js";
import { NotLoggedIn, StorageFailed } from "../errors.js";
import type { StoredAccount } from "../secrets/token-store.js";

export const TOKEN_ENV = "AUTHCTL_TOKEN";

export async function resolveUrl(ctx: Context, flag: string | undefined): Promise<string> {
  return resolveBaseUrl(flag, ctx.env, await ctx.tokens.lastUrl());
}

/** The token handed over in AUTHCTL_TOKEN, which overrides any stored one. */
export function tokenFromEnv(ctx: Context): string | undefined {
  return ctx.env[TOKEN_ENV] || undefined;
}

/** The stored account named by --username, or the server's active one. */
export async function requireAccount(ctx: Context, url: string, username: string | undefined): Promise<StoredAccount> {
  const account = await ctx.tokens.find(url, username);
  if (account) return account;
  const who = username === undefined ? "" : ` as ${username}`;
  throw new NotLoggedIn(`not logged in to ${url}${who}`, `authctl login --url ${url}${username ? ` --username ${username}` : ""}`);
}

/** Stores a fresh token and tells the person where it went. */
export async function keepToken(
  ctx: Context,
  url: string,
  username: string,
  token: string,
  insecureStorage: boolean | undefined,
): Promise<{ storage: string; location: string }> {
  let saved;
  try {
    saved = await ctx.tokens.save(url, username, token, insecureStorage === true);
  } catch (error) {
    if (!(error instanceof StorageFailed)) throw error;
    // Nothing is lost: the server keeps the token and hands it out again at login.
    throw new StorageFailed(error.message, `the account is fine on the server; once storage works, run: authctl login --url ${url} --username ${username}`);
  }
  const location = ctx.tokens.describe(saved.storage);
  if (saved.fallbackReason) ctx.out.warn(`token stored in plaintext in ${ctx.tokens.file.path}: ${saved.fallbackReason}`);
  return { storage: saved.storage, location };
}
