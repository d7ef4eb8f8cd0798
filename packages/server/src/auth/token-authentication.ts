import { AUTH_KEYWORD, AuthenticationFailed } from "../errors.js";
import type { Store, UserRecord } from "../store/store.js";
import type { TokenVault } from "./tokens.js";


// Python's bytes.split(): runs of ASCII whitespace.
const ASCII_WHITESPACE = /[ \t\n\r\x0b\x0c]+/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * DRF's TokenAuthentication. No header or another scheme means anonymous
 * (undefined); a malformed or unknown token is an error even on views that
 * need no login, exactly as DRF answers.
 */
export async function authenticateToken(
  header: string | undefined,
  store: Store,
  vault: TokenVault,
): Promise<UserRecord | undefined> {
  const key = plainTokenKey(header) ?? keyFromHeader(header);
  if (key === undefined) return undefined;
  const user = await store.findUserByTokenDigest(vault.digest(key));
  if (!user) throw new AuthenticationFailed("Invalid token.");
  if (!user.isActive) throw new AuthenticationFailed("User inactive or deleted.");
  return user;
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
