import { AUTH_KEYWORD, AuthenticationFailed } from "../errors.js";
import { StoreBusy, type Store, type TokenOwner } from "../store/store.js";
import { isExpired, useOf, type TokenPolicy } from "./token-policy.js";
import type { TokenVault } from "./tokens.js";

// Python's bytes.split(): runs of ASCII whitespace.
const ASCII_WHITESPACE = /[ \t\n\r\x0b\x0c]+/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
/** The answer to every unknown or expired token, built once: an ApiError is never changed after it is made. */
const INVALID_TOKEN = new AuthenticationFailed("Invalid token.");

export interface TokenCheck {
  store: Store;
  vault: TokenVault;
  policy: TokenPolicy;
  /** The time (ms) expiry is judged at. */
  clock: () => number;
}

/**
 * DRF's TokenAuthentication. No header or another scheme means anonymous
 * (undefined); a malformed or unknown token is an error even on views that
 * need no login, exactly as DRF answers. An expired token answers as an
 * unknown one and is deleted (knox). Under knox's models a use is recorded,
 * and with sliding refresh the expiry moved on, at most once a minute.
 */
export async function authenticateToken(
  header: string | undefined,
  { store, vault, policy, clock }: TokenCheck,
): Promise<TokenOwner | undefined> {
  const key = plainTokenKey(header) ?? keyFromHeader(header);
  if (key === undefined) return undefined;
  const owner = await store.findTokenByDigest(vault.digest(key));
  if (!owner) throw INVALID_TOKEN;
  const now = clock();
  if (isExpired(owner.token, now)) {
    // Pruning removes it later if the database is busy now: the answer is the same.
    await store.deleteTokenById(owner.user.id, owner.token.id).catch(busyIsFine);
    throw INVALID_TOKEN;
  }
  if (!owner.user.isActive) throw new AuthenticationFailed("User inactive or deleted.");
  const use = useOf(policy, owner.token, now);
  if (use) {
    // A use not recorded now (the database busy) is recorded at the next request.
    await store.touchToken(owner.token.id, use.lastUsed, use.expiry).catch(busyIsFine);
    owner.token = { ...owner.token, ...use };
  }
  return owner;
}

/** A write the token check may skip while another process holds the database's write lock. */
function busyIsFine(error: unknown): void {
  if (!(error instanceof StoreBusy)) throw error;
}

/**
 * The common header, `Token <key>` with one space and a key of printable
 * ASCII, read without splitting or decoding; undefined for anything else,
 * which `keyFromHeader` then reads the way DRF does.
 */
function plainTokenKey(header: string | undefined): string | undefined {
  if (header === undefined || header.length <= PLAIN_PREFIX.length || !header.startsWith(PLAIN_PREFIX)) return undefined;
  for (let i = PLAIN_PREFIX.length; i < header.length; i++) {
    const code = header.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) return undefined;
  }
  return header.slice(PLAIN_PREFIX.length);
}

const PLAIN_PREFIX = `${AUTH_KEYWORD} `;

/** DRF's reading of the header: the key, undefined for anonymous, or AuthenticationFailed. */
function keyFromHeader(header: string | undefined): string | undefined {
  // Node hands header bytes over as latin1 characters; DRF checks the raw bytes.
  const parts = (header ?? "").split(ASCII_WHITESPACE).filter((part) => part !== "");
  if (parts.length === 0 || parts[0]?.toLowerCase() !== AUTH_KEYWORD.toLowerCase()) return undefined;
  if (parts.length === 1) throw new AuthenticationFailed("Invalid token header. No credentials provided.");
  if (parts.length > 2) {
    throw new AuthenticationFailed("Invalid token header. Token string should not contain spaces.");
  }
  try {
    return strictUtf8.decode(Buffer.from(parts[1] ?? "", "latin1"));
  } catch {
    throw new AuthenticationFailed("Invalid token header. Token string should not contain invalid characters.");
  }
}
