import type { Context } from "../context.js";
import { NotLoggedIn, NotOffered, ServerUnreachable, UsageError } from "../errors.js";
import type { RemoveResult, StoredAccount } from "../secrets/token-store.js";
import { expiredToken, resolveAccount, resolveUrl, TOKEN_ENV, tokenFromEnv } from "./common.js";

export interface LogoutOptions {
  url?: string;
  username?: string;
  forget?: boolean;
  local?: boolean;
  /** Revoke every token of the account (every device), not only this one. */
  all?: boolean;
}

type Outcome = "revoked" | "revoked-all" | "rejected" | "forgotten" | "local";

/**
 * Revokes the token on the server — for every client of the account where
 * the server keeps one token per user (DRF), for this device where it keeps
 * one per login (knox); with `--all`, every token of the account — then
 * forgets it. `--local` only forgets it
 * here. A token the server no longer knows is forgotten too; an unreachable
 * server keeps it (unless --forget), because a token we forget but the
 * server keeps is a leak.
 */
export async function runLogout(options: LogoutOptions, ctx: Context): Promise<void> {
  const envToken = tokenFromEnv(ctx);
  if (envToken) return logoutEnvToken(options, ctx, envToken);
  if (options.all && (options.local || options.forget))
    throw new UsageError("--all revokes on the server: it does not go with --local or --forget");
  const account = await resolveAccount(ctx, options.url, options.username);
  // --local needs no token: there is nothing to send.
  const token = options.local ? "" : await readOrForget(ctx, account);
  if (token === undefined) return;
  const outcome = options.local
    ? "local"
    : options.all
      ? await revokeAll(ctx, account.url, token)
      : await revoke(ctx, account, token, options.forget === true);
  const moved = await ctx.tokens.remove(account);
  const { url, username } = account;
  const messages: Record<Outcome, string> = {
    revoked: `Logged out of ${url} as ${username}; the token is revoked (on a server with one token per user, for every client of this account)`,
    "revoked-all": `Logged out of ${url} as ${username} on every device; every token of this account is revoked`,
    rejected: expiredToken(account)
      ? `The token of ${username} at ${url} had expired; removed it locally`
      : `The server had already revoked the token of ${username}; removed it locally`,
    forgotten: `Removed the token of ${username} at ${url} locally`,
    local: `Removed the token of ${username} at ${url} locally; it stays valid on the server`,
  };
  ctx.out.success(messages[outcome]);
  await reportMoves(ctx, account, moved);
  ctx.out.result({ url, username, source: account.storage, outcome, ...resultOfMoves(account, moved) });
}

async function logoutEnvToken(options: LogoutOptions, ctx: Context, token: string): Promise<void> {
  const url = await resolveUrl(ctx, options.url);
  const outcome = await ctx.api.logout(url, token);
  const said = outcome === "revoked" ? "is revoked" : "was already invalid";
  ctx.out.success(`The token from ${TOKEN_ENV} ${said} at ${url}; stored accounts are unchanged`);
  ctx.out.result({ url, username: null, source: TOKEN_ENV, outcome, active: null, current: null });
}

/**
 * `--all`: knox's `logoutall`. A server without it (DRF) keeps one token per
 * user, so revoking that one logs every client out just the same.
 */
async function revokeAll(ctx: Context, url: string, token: string): Promise<Outcome> {
  try {
    await ctx.api.logoutAll(url, token);
    return "revoked-all";
  } catch (error) {
    if (!(error instanceof NotOffered)) throw error;
    const outcome = await ctx.api.logout(url, token);
    return outcome === "revoked" ? "revoked-all" : outcome;
  }
}

async function revoke(ctx: Context, account: StoredAccount, token: string, forget: boolean): Promise<Outcome> {
  try {
    return await ctx.api.logout(account.url, token);
  } catch (error) {
    if (!(error instanceof ServerUnreachable)) throw error;
    if (!forget) {
      throw new ServerUnreachable(
        error.message,
        "the token is kept; try again when the server is back, or pass --forget to remove it locally anyway",
      );
    }
    ctx.out.warn(`${error.message}; the token may still be valid on the server`);
    return "forgotten";
  }
}

async function reportMoves(ctx: Context, account: StoredAccount, moved: RemoveResult): Promise<void> {
  if (moved.nextActive !== undefined) ctx.out.info(`Active account at ${account.url} is now ${moved.nextActive}`);
  if (moved.currentEmptied) {
    const elsewhere = (await ctx.tokens.list()).length > 0 ? ", or authctl switch to a stored account on another server" : "";
    ctx.out.info(
      `${account.url} stays the current server, with no account now; log in there with: authctl login --url ${account.url}${elsewhere}`,
    );
  }
}

/** `current` is set when the current server was left without an account (it stays current). */
function resultOfMoves(account: StoredAccount, moved: RemoveResult): Record<string, unknown> {
  return {
    active: moved.nextActive ?? null,
    current: moved.currentEmptied ? { url: account.url, username: null } : null,
  };
}

/** A token that vanished from its storage (deleted by hand) leaves nothing to revoke: forget the account. */
async function readOrForget(ctx: Context, account: StoredAccount): Promise<string | undefined> {
  try {
    return await ctx.tokens.read(account);
  } catch (error) {
    if (!(error instanceof NotLoggedIn)) throw error;
    const moved = await ctx.tokens.forget(account);
    ctx.out.success(`No token of ${account.username} was left in ${ctx.tokens.describe(account.storage)}; removed the account`);
    await reportMoves(ctx, account, moved);
    ctx.out.result({
      url: account.url,
      username: account.username,
      source: account.storage,
      outcome: "missing",
      ...resultOfMoves(account, moved),
    });
    return undefined;
  }
}
