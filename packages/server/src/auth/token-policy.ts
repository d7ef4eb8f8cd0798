import type { TokenRecord } from "../store/store.js";

/**
 * Which token model the server follows: DRF's (one token per user, kept until
 * logout: every field unset) or knox's (a token per login, expiring, with
 * optional sliding refresh and a per-user limit).
 */
export interface TokenPolicy {
  /** How long a new token lives, in ms (knox's TOKEN_TTL); undefined: until logout, as DRF's. */
  ttlMs: number | undefined;
  /** Each use pushes the expiry to now + TTL (knox's AUTO_REFRESH), capped at creation + `maxTtlMs` when set. */
  sliding: { maxTtlMs: number | undefined } | undefined;
  /** A new token at each login (knox); false: the user's one token (DRF). */
  perLogin: boolean;
  /** Live tokens a user may hold in the per-login model (knox's TOKEN_LIMIT_PER_USER); undefined: no limit. */
  limit: number | undefined;
}

export const DRF_TOKEN_POLICY: TokenPolicy = { ttlMs: undefined, sliding: undefined, perLogin: false, limit: undefined };

/** A token's use is written at most this often (knox's MIN_REFRESH_INTERVAL, 60 s), so a token check stays a read. */
export const MIN_REFRESH_INTERVAL_MS = 60_000;

/** Expired tokens deleted after a login or registration, at most this many at a time. */
export const PRUNE_BATCH = 100;

/** The longest device name kept (a `name` at login, else the User-Agent). */
export const TOKEN_NAME_MAX = 64;

/** When a token created at `createdMs` expires, as ISO text; null without a TTL. */
export function expiryFor(policy: TokenPolicy, createdMs: number): string | null {
  return policy.ttlMs === undefined ? null : new Date(createdMs + policy.ttlMs).toISOString();
}

export function isExpired(token: Pick<TokenRecord, "expiry">, nowMs: number): boolean {
  return token.expiry !== null && Date.parse(token.expiry) <= nowMs;
}

/** Whether the server records when each token was last used (knox's models; DRF's never writes on a token check). */
export function tracksUse(policy: TokenPolicy): boolean {
  return policy.perLogin || policy.sliding !== undefined;
}

/**
 * What a use of `token` at `nowMs` writes: its last use and (sliding) its new
 * expiry, at most once a minute; undefined when nothing is due.
 */
export function useOf(policy: TokenPolicy, token: TokenRecord, nowMs: number): { lastUsed: string; expiry: string | null } | undefined {
  if (!tracksUse(policy)) return undefined;
  if (token.lastUsed !== null && nowMs - Date.parse(token.lastUsed) < MIN_REFRESH_INTERVAL_MS) return undefined;
  let expiry = token.expiry;
  if (policy.sliding && policy.ttlMs !== undefined) {
    const cap = policy.sliding.maxTtlMs === undefined ? Infinity : Date.parse(token.created) + policy.sliding.maxTtlMs;
    expiry = new Date(Math.min(nowMs + policy.ttlMs, cap)).toISOString();
  }
  return { lastUsed: new Date(nowMs).toISOString(), expiry };
}

/** A device name as stored: control characters dropped, outer spaces trimmed, at most TOKEN_NAME_MAX characters. */
export function deviceName(raw: string | undefined): string {
  // Whole code points, so a cut never leaves half a surrogate pair.
  return Array.from((raw ?? "").replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim())
    .slice(0, TOKEN_NAME_MAX)
    .join("");
}

/**
 * A time as DRF's DateTimeField writes it (knox's `expiry`): Python's
 * isoformat() in UTC with `Z`, microseconds shown unless zero.
 */
export function drfTime(iso: string): string {
  const date = new Date(iso);
  const ms = date.getUTCMilliseconds();
  const base = date.toISOString().slice(0, 19);
  return ms === 0 ? `${base}Z` : `${base}.${String(ms * 1000).padStart(6, "0")}Z`;
}
