import { renameSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";
import { decodeKey, keyFingerprint, syncDirectory, writePrivateFile } from "../auth/secret-key.js";
import { TokenVault } from "../auth/tokens.js";
import { describeServers, runningServers } from "../store/heartbeat.js";
import { allTokens, recordKeyFingerprint, resealToken } from "../store/queries.js";
import { AdminError } from "./admin-error.js";
import type { AdminTarget } from "./open-admin.js";

export interface RotationSummary {
  resealed: number;
  /** Tokens the old key could not open (already unusable); left as they were. */
  unopenable: number;
  fingerprint: string;
  /** Where the new key was written, or that it came from stdin (AUTHCTL_SECRET_KEY). */
  keyWrittenTo: string | undefined;
}

/**
 * Re-seals every token under a new key in one transaction and records the
 * new key's fingerprint; token values (and digests) do not change, so no
 * client notices. With the key in the data directory, the new key is written
 * beside it first and renamed into place after the commit. With
 * AUTHCTL_SECRET_KEY the new key must be given (`newKey`) and the operator
 * sets it before servers restart. Refused while servers use the database:
 * they hold the old key, could not open the re-sealed tokens, and would give
 * every user a new token at the next login, logging their other clients out.
 */
export async function rotateKey(target: AdminTarget, newKey: Buffer | undefined): Promise<RotationSummary> {
  const live = await runningServers(target.db);
  if (live.length > 0) {
    throw new AdminError(
      `${target.name} is in use by ${describeServers(live)}: they hold the old key and would replace every token the rotation re-seals`,
      "refused",
      "stop the servers, rotate, then start them again (a server killed without a shutdown counts as running for 30 s)",
    );
  }
  const oldVault = await target.vault();
  const fromEnvironment = target.keySource.configured !== undefined;
  if (fromEnvironment && newKey === undefined) {
    throw new AdminError(
      "the key comes from AUTHCTL_SECRET_KEY: give the new key on stdin with --new-key-stdin",
      "usage",
      "openssl rand -hex 32 > new.key && authctl admin rotate-key --new-key-stdin < new.key",
    );
  }
  const key = newKey ?? randomBytes(32);
  if (key.length !== 32) throw new AdminError("the new key must be 32 bytes: 64 hex characters", "usage");
  const newVault = new TokenVault(key);
  const pending = fromEnvironment ? undefined : `${target.keySource.file}.new`;
  if (pending) writePrivateFile(pending, `${key.toString("hex")}\n`);
  let counted: { resealed: number; unopenable: number };
  try {
    counted = await target.db.transaction(async (tx) => {
      let resealed = 0;
      let unopenable = 0;
      for (const token of await allTokens(tx)) {
        const value = oldVault.tryOpen(token);
        if (value === undefined) {
          unopenable += 1;
          continue;
        }
        await resealToken(tx, token.id, newVault.seal(value));
        resealed += 1;
      }
      await recordKeyFingerprint(tx, keyFingerprint(key));
      return { resealed, unopenable };
    });
  } catch (error) {
    if (pending) unlinkSync(pending);
    throw error;
  }
  if (pending) {
    // Committed: the tokens are sealed with the new key now, so it must never be deleted here.
    try {
      renameSync(pending, target.keySource.file);
    } catch (error) {
      throw new AdminError(
        `the tokens are sealed with the new key, but it could not be moved into place: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        "refused",
        `mv ${pending} ${target.keySource.file} before any server starts again`,
      );
    }
    syncDirectory(dirname(target.keySource.file));
  }
  return { ...counted, fingerprint: keyFingerprint(key), keyWrittenTo: pending ? target.keySource.file : undefined };
}

/** Parses a key given on stdin: 64 hex characters or base64 of 32 bytes. */
export function parseKey(text: string): Buffer {
  try {
    return decodeKey(text, "the new key");
  } catch {
    throw new AdminError("the new key must be 32 bytes: 64 hex characters or base64", "usage");
  }
}
