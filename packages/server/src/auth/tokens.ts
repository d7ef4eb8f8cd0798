import * as crypto from "node:crypto";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** A token as the store keeps it: a digest to find it by, and the key sealed. */
export interface SealedToken {
  digest: string;
  sealed: string;
}

const KEY_BYTES = 32;

/**
 * SHA-256 of UTF-8 text, in hex: one-shot `crypto.hash` where Node has it
 * (≥ 20.12; a third of the time, with no Hash object per token check).
 */
const sha256Hex: (text: string) => string =
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- absent before Node 20.12, which package.json still admits.
  crypto.hash === undefined
    ? (text) => createHash("sha256").update(text, "utf8").digest("hex")
    : (text) => crypto.hash("sha256", text, "hex");
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * DRF auth tokens (40 hex characters from the CSPRNG), kept at rest as a
 * SHA-256 digest for lookup plus the key sealed with AES-256-GCM under the
 * server key. Login must hand back the user's existing token as DRF does,
 * which a digest alone cannot; a stolen database without the server key
 * yields no usable token.
 */
export class TokenVault {
  constructor(private readonly serverKey: Buffer) {
    if (serverKey.length !== KEY_BYTES) throw new Error(`the server key must be ${KEY_BYTES} bytes`);
  }

  generate(): string {
    return randomBytes(20).toString("hex");
  }

  digest(key: string): string {
    return sha256Hex(key);
  }

  seal(key: string): SealedToken {
    const digest = this.digest(key);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.serverKey, iv);
    cipher.setAAD(Buffer.from(digest));
    const body = Buffer.concat([cipher.update(key, "utf8"), cipher.final()]);
    return { digest, sealed: Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64") };
  }

  /** The key, or undefined when it was sealed under another server key or tampered with. */
  tryOpen(token: SealedToken): string | undefined {
    try {
      return this.open(token);
    } catch {
      return undefined;
    }
  }

  /** Throws when the token was sealed under another key or was tampered with. */
  open(token: SealedToken): string {
    const raw = Buffer.from(token.sealed, "base64");
    const decipher = createDecipheriv("aes-256-gcm", this.serverKey, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(token.digest));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
  }
}
