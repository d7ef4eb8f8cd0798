import bcrypt from "bcrypt";
import { createHash } from "node:crypto";
import { HASH_LIMITS, verifyDjangoHash } from "./django-hashers.js";
import { Slots } from "./slots.js";

/** Hashes and checks passwords; `needsRehash` says when a stored hash is out of date. */
export interface Hasher {
  hash(password: string): Promise<string>;
  verify(password: string, encoded: string): Promise<boolean>;
  needsRehash(encoded: string): boolean;
  /** Spends the time of one verification, so unknown usernames answer as slowly as known ones. */
  burn(password: string): Promise<void>;
  /**
   * After a failed verification against `encoded`, spends what a hash at
   * today's cost would have taken beyond it (Django's `harden_runtime`).
   */
  hardenRuntime(password: string, encoded: string): Promise<void>;
}

const ALGORITHM = "bcrypt_sha256";
const PREFIX = `${ALGORITHM}$`;

/**
 * Django's `BCryptSHA256PasswordHasher`: bcrypt over the hex SHA-256 of the
 * password, so passwords over bcrypt's 72-byte limit are not silently cut,
 * stored as `bcrypt_sha256$$2b$12$...` so Django can read our hashes and we
 * can read Django's. bcrypt runs on libuv's thread pool, off the event loop.
 * Hashes of Django's other hashers (imported users) verify too, and are
 * replaced by ours at the first successful login (`needsRehash`).
 */
export class BcryptSha256Hasher implements Hasher {
  private burnHash: Promise<string> | undefined;
  private readonly slots: Slots;

  /** `parallel`: at most this many bcrypt computations at once (default: libuv's thread pool decides). */
  constructor(
    private readonly cost: number,
    parallel = Number.POSITIVE_INFINITY,
  ) {
    this.slots = new Slots(parallel);
  }

  async hash(password: string): Promise<string> {
    return PREFIX + (await this.slots.run(() => bcrypt.hash(prehash(password), this.cost)));
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    // Users imported from Django keep their hashes until their next login rehashes them.
    if (!encoded.startsWith(PREFIX)) return this.slots.run(() => verifyDjangoHash(password, encoded));
    // A cost beyond both the import limit and our own (a planted or corrupted row) would hold a core for minutes.
    if ((roundsOf(encoded) ?? 0) > Math.max(this.cost, HASH_LIMITS.bcryptCost)) return false;
    return this.slots.run(() => bcrypt.compare(prehash(password), encoded.slice(PREFIX.length)));
  }

  /** True for our algorithm at another cost and for every other Django hasher's hash. */
  needsRehash(encoded: string): boolean {
    return roundsOf(encoded) !== this.cost;
  }

  async hardenRuntime(password: string, encoded: string): Promise<void> {
    // One more verification at today's cost outweighs any cheaper stored hash:
    // the total stays within 1/2^(cost - stored cost) of an unknown user's time.
    // Another hasher's hash (imported from Django, or unusable) always spends it.
    if ((roundsOf(encoded) ?? 0) < this.cost) await this.burn(password);
  }

  async burn(password: string): Promise<void> {
    this.burnHash ??= this.hash("authctl-timing-equalizer");
    await this.verify(password, await this.burnHash);
  }
}

function roundsOf(encoded: string): number | undefined {
  if (!encoded.startsWith(PREFIX)) return undefined;
  try {
    return bcrypt.getRounds(encoded.slice(PREFIX.length));
  } catch {
    return undefined;
  }
}

function prehash(password: string): string {
  return createHash("sha256").update(password, "utf8").digest("hex");
}
