import { readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";

export const SECRET_KEY_FILE = "secret.key";

/**
 * The server key that seals tokens: from configuration (64 hex characters or
 * base64 of 32 bytes), else `secret.key` in the data directory, created 0600
 * on first start. `wx` makes two processes starting at once agree on one key.
 */
export function loadSecretKey(dataDir: string, configured: string | undefined): Buffer {
  if (configured !== undefined) return decodeKey(configured, "AUTHCTL_SECRET_KEY");
  const path = join(dataDir, SECRET_KEY_FILE);
  try {
    writeFileSync(path, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return decodeKey(readFileSync(path, "utf8"), path);
}

function decodeKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (key.length !== 32) {
    throw new Error(`${source} must hold a 32-byte key: 64 hex characters or base64`);
  }
  return key;
}
