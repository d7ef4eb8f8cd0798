import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { createHmac, randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import type { Store } from "../store/store.js";
import { TokenVault } from "./tokens.js";

export const SECRET_KEY_FILE = "secret.key";
export const REVOKE_FLAG = "--revoke-all-tokens";

/** Where the key comes from: AUTHCTL_SECRET_KEY, or a file in the data directory. */
export interface KeySource {
  configured: string | undefined;
  file: string;
}

export function keySource(dataDir: string, configured: string | undefined): KeySource {
  return { configured, file: join(dataDir, SECRET_KEY_FILE) };
}

/** A short public name for a key: tells keys apart without revealing them. */
export function keyFingerprint(key: Buffer): string {
  return createHmac("sha256", key).update("authctl secret key fingerprint v1").digest("hex").slice(0, 32);
}

/** The server refuses to start: the key at hand did not seal the stored tokens. */
export class KeyMismatch extends Error {}

/**
 * The server key that seals tokens, checked against the fingerprint the
 * database keeps of the key that sealed its tokens. A missing key file is
 * created only when no sealed token would be orphaned; a different key with
 * tokens in the database refuses to start, unless `revokeTokens` (the operator
 * chose to revoke them all), so a lost or mixed-up key never becomes a server
 * that answers 500 to every login.
 */
export async function openServerKey(options: {
  store: Store;
  source: KeySource;
  /** Names the database in messages. */
  database: string;
  revokeTokens: boolean;
  log: (line: string) => void;
}): Promise<Buffer> {
  const { store, source, revokeTokens } = options;
  // Any token at all; and for a database from before fingerprints were kept, its seal tells which key made it.
  const sample = await store.sampleToken();
  const recorded = (await store.keyFingerprint()) ?? (sample ? "unrecorded" : undefined);
  const guarded = recorded !== undefined && sample !== undefined;
  let key = readKey(source);
  if (!key) {
    if (guarded && !revokeTokens) throw mismatch(options, await store.countTokens(), "is missing");
    key = createKeyFile(source.file);
  }
  const fingerprint = keyFingerprint(key);
  if (recorded === fingerprint) return key;
  if (recorded === "unrecorded" && sample && new TokenVault(key).tryOpen(sample) !== undefined) {
    await store.claimKeyFingerprint(fingerprint);
    return key;
  }
  if (guarded && !revokeTokens) throw mismatch(options, await store.countTokens(), "is not the key that sealed them");
  if (guarded || recorded !== undefined) {
    // Records the new key; with no tokens left to orphan, there is nothing else to revoke.
    const revoked = await store.revokeAllTokens(fingerprint);
    if (revoked > 0) options.log(`revoked ${tokens(revoked)} sealed under another key; their users log in again to get new ones`);
    return key;
  }
  if ((await store.claimKeyFingerprint(fingerprint)) !== fingerprint) {
    throw new KeyMismatch("another server on this database started at the same moment with a different secret key");
  }
  return key;
}

const tokens = (count: number) => `${count} ${count === 1 ? "token" : "tokens"}`;

function mismatch(options: { source: KeySource; database: string }, tokenCount: number, problem: string): KeyMismatch {
  const where = options.source.configured !== undefined ? "AUTHCTL_SECRET_KEY" : options.source.file;
  return new KeyMismatch(
    `the database ${options.database} holds ${tokens(tokenCount)} sealed by a secret key, and that key (${where}) ${problem}.\n` +
      `Either restore the original key (from the backup you keep apart from the database) and start again,\n` +
      `or revoke every token (each user logs in again to get a new one) by starting once with ${REVOKE_FLAG}:\n` +
      `  authctl-server ${REVOKE_FLAG}    (or: npm start -- ${REVOKE_FLAG}, authctl serve ${REVOKE_FLAG})`,
  );
}

function readKey(source: KeySource): Buffer | undefined {
  if (source.configured !== undefined) return decodeKey(source.configured, "AUTHCTL_SECRET_KEY");
  try {
    return decodeKey(readFileSync(source.file, "utf8"), source.file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Writes a new key to a private temporary file, flushes it, then links it into
 * place: other processes see no key or the whole key, never part of one. If
 * another process got there first, its key wins and is returned.
 */
function createKeyFile(path: string): Buffer {
  const temporary = join(dirname(path), `.${SECRET_KEY_FILE}.${process.pid}.${randomBytes(6).toString("hex")}`);
  writePrivateFile(temporary, `${randomBytes(32).toString("hex")}\n`, "wx");
  try {
    linkSync(temporary, path);
    syncDirectory(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkSync(temporary);
  }
  return decodeKey(readFileSync(path, "utf8"), path);
}

/** Writes `text` to a new 0600 file and flushes it to disk. */
export function writePrivateFile(path: string, text: string, flags = "w"): void {
  const fd = openSync(path, flags, 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename or link in `path` durable. */
export function syncDirectory(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A key as 64 hex characters or base64 of 32 bytes; `source` names it in the error. */
export function decodeKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (key.length !== 32) {
    throw new Error(`${source} must hold a 32-byte key: 64 hex characters or base64`);
  }
  return key;
}
