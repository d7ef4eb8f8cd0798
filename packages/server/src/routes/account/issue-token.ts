import { deviceName, drfTime, expiryFor, isExpired, PRUNE_BATCH } from "../../auth/token-policy.js";
import { TokenLimitReached } from "../../errors.js";
import type { ViewRequest } from "../../http/api-view.js";
import { fieldValue, MISSING, type RequestData } from "../../http/request-data.js";
import type { NewToken } from "../../store/store.js";
import type { AccountDeps } from "./deps.js";

/** A token handed out by a login or registration. */
export interface IssuedToken {
  key: string;
  /** ISO time it expires; null without a TTL. */
  expiry: string | null;
}

type TokenDeps = Pick<AccountDeps, "store" | "tokens" | "tokenPolicy" | "clock">;

/** A new token with key `key`, created now and named for the device. */
export function newToken({ tokens, tokenPolicy, clock }: TokenDeps, key: string, name: string): NewToken {
  const now = clock();
  return { sealed: tokens.seal(key), created: new Date(now).toISOString(), expiry: expiryFor(tokenPolicy, now), name };
}

/** The device a login names: its `name` field when it is text, else its User-Agent (sanitized and bounded). */
export function tokenName(request: ViewRequest, data: RequestData): string {
  const given = fieldValue(data, "name");
  return deviceName(given !== MISSING && given.type === "str" ? given.text : request.userAgent);
}

/** `"expiry"` for an answer (knox's format), only when tokens expire: without a TTL answers stay DRF's. */
export function expiryField(expiry: string | null): { expiry?: string } {
  return expiry === null ? {} : { expiry: drfTime(expiry) };
}

/**
 * The token a login hands out. Per-login (knox): a new one, refused past the
 * user's limit. Per-user (DRF): the user's token, made if they have none, and
 * made anew when it has expired or was sealed under a key this server no
 * longer has (a restored database, a replaced key); a concurrent login that
 * replaced it first wins, so both hand out the same token.
 */
export async function loginToken(deps: TokenDeps, userId: number, name: string): Promise<IssuedToken> {
  const { store, tokens, tokenPolicy, clock } = deps;
  if (tokenPolicy.perLogin) {
    const key = tokens.generate();
    const token = newToken(deps, key, name);
    const limit = tokenPolicy.limit === undefined ? undefined : { max: tokenPolicy.limit, now: token.created };
    if (!(await store.addToken(userId, token, limit))) throw new TokenLimitReached();
    return { key, expiry: token.expiry };
  }
  const stored = await store.getOrCreateToken(userId, () => newToken(deps, tokens.generate(), name));
  const key = isExpired(stored, clock()) ? undefined : tokens.tryOpen(stored);
  if (key !== undefined) return { key, expiry: stored.expiry };
  const fresh = tokens.generate();
  const next = newToken(deps, fresh, name);
  if (await store.replaceToken(userId, stored.digest, next)) return { key: fresh, expiry: next.expiry };
  return loginToken(deps, userId, name);
}

/** After the answer, deletes a batch of expired tokens (only tokens with a TTL expire). */
export function pruneAfter(request: ViewRequest, { store, tokenPolicy, clock }: TokenDeps): void {
  if (tokenPolicy.ttlMs === undefined) return;
  // Background housekeeping: a batch that fails (the database busy) is retried after the next login.
  request.afterResponse(() =>
    store.pruneExpiredTokens(new Date(clock()).toISOString(), PRUNE_BATCH).then(
      () => undefined,
      () => undefined,
    ),
  );
}
