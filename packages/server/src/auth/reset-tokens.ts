import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { UserRecord } from "../store/store.js";
import { pyStrip } from "../validation/python.js";

/** Django's PASSWORD_RESET_TIMEOUT default: three days. */
export const DEFAULT_RESET_TIMEOUT_SECONDS = 3 * 24 * 3600;

const KEY_SALT = "django.contrib.auth.tokens.PasswordResetTokenGenerator";
/** Django's `datetime(2001, 1, 1)`, here in UTC. */
const EPOCH_2001_MS = Date.UTC(2001, 0, 1);
/** base36_to_int refuses longer input. */
const MAX_BASE36_DIGITS = 13;

/**
 * Django 3.2's PasswordResetTokenGenerator (SHA-256): a token is the base-36
 * seconds since 2001-01-01 and every other hex digit of an HMAC over the
 * user's id, password hash, last login, that time and e-mail, so a password
 * change, a login Django records or a new address invalidates it. `secret`
 * plays SECRET_KEY's part; it is derived from the server key, so Django's
 * tokens issued before an import are not honoured (nor ours after
 * `rotate-key`). Django's pre-3.1 (SHA-1, day-based) tokens are not accepted.
 */
export class ResetTokens {
  constructor(
    private readonly secret: string,
    private readonly timeoutSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The reset secret belonging to a server key. */
  static secretFor(serverKey: Buffer): string {
    return createHmac("sha256", serverKey).update("authctl password reset tokens").digest("hex");
  }

  make(user: UserRecord): string {
    return this.withTimestamp(user, BigInt(this.seconds()));
  }

  check(user: UserRecord, token: string): boolean {
    const parts = token.split("-");
    if (parts.length !== 2 || !token) return false;
    const timestamp = base36ToInt(parts[0] ?? "");
    if (timestamp === undefined) return false;
    const expected = Buffer.from(this.withTimestamp(user, timestamp));
    const given = Buffer.from(token);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    return BigInt(this.seconds()) - timestamp <= BigInt(this.timeoutSeconds);
  }

  private seconds(): number {
    return Math.floor((this.now() - EPOCH_2001_MS) / 1000);
  }

  private withTimestamp(user: UserRecord, timestamp: bigint): string {
    // Django's salted_hmac: the key is the SHA-256 of salt and secret.
    const key = createHash("sha256")
      .update(KEY_SALT + this.secret)
      .digest();
    const loginTimestamp = user.lastLogin === null ? "" : user.lastLogin.slice(0, 19).replace("T", " ");
    const value = `${user.id}${user.passwordHash}${loginTimestamp}${timestamp}${user.email}`;
    const hex = createHmac("sha256", key).update(value, "utf8").digest("hex");
    let every2nd = "";
    for (let i = 0; i < hex.length; i += 2) every2nd += hex.charAt(i);
    return `${timestamp.toString(36)}-${every2nd}`;
  }
}

/**
 * Django's `base36_to_int`, as far as a token can match: any other spelling
 * Python's `int(s, 36)` takes (case, sign, spaces) never reproduces the
 * token, which is rebuilt with the lower-case digits.
 */
function base36ToInt(text: string): bigint | undefined {
  if (text.length > MAX_BASE36_DIGITS || !/^[0-9a-z]+$/.test(text)) return undefined;
  let value = 0n;
  for (const digit of text) value = value * 36n + BigInt(parseInt(digit, 36));
  return value;
}

/** Django's `urlsafe_base64_encode(force_bytes(pk))`: the decimal id in URL-safe base64, unpadded. */
export function encodeUid(id: number): string {
  return Buffer.from(String(id)).toString("base64url");
}

/**
 * The user id in a uid, as Django's `urlsafe_base64_decode` and then
 * `User.objects.get(pk=…)` read it; undefined wherever Django raises
 * (dj-rest-auth answers `{"uid": ["Invalid value"]}`).
 */
export function decodeUid(uid: string): number | undefined {
  // Django pads with len % 4 "=" (sic), then Python's lenient decoder reads it.
  const bytes = pyBase64Decode(uid.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat(uid.length % 4));
  if (bytes === undefined) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  return pyIntId(text);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** CPython's non-strict `binascii.a2b_base64`: other characters skipped, padding ends the data. */
function pyBase64Decode(text: string): Uint8Array | undefined {
  const out: number[] = [];
  let quadPos = 0;
  let leftChar = 0;
  let leftBits = 0;
  let pads = 0;
  for (const char of text) {
    if (char === "=") {
      if (quadPos >= 2 && quadPos + ++pads >= 4) return Uint8Array.from(out);
      continue;
    }
    const value = B64.indexOf(char);
    if (value < 0) continue;
    pads = 0;
    leftChar = (leftChar << 6) | value;
    leftBits += 6;
    if (leftBits >= 8) {
      leftBits -= 8;
      out.push(leftChar >> leftBits);
      leftChar &= (1 << leftBits) - 1;
    }
    quadPos = (quadPos + 1) % 4;
  }
  return quadPos === 0 ? Uint8Array.from(out) : undefined;
}

/**
 * Python's `int(text)` for an id: outer white space, a sign and single
 * underscores between digits (ASCII digits only; other Unicode digits are
 * refused here where Python would read them).
 */
function pyIntId(text: string): number | undefined {
  const match = /^([+-]?)([0-9]+(?:_[0-9]+)*)$/.exec(pyStrip(text));
  if (!match) return undefined;
  const value = Number(`${match[1]}${(match[2] ?? "").replace(/_/g, "")}`);
  return Number.isSafeInteger(value) ? value : undefined;
}
