import bcrypt from "bcrypt";
import { createHash } from "node:crypto";

/** Hashes and checks passwords; `needsRehash` says when a stored hash is out of date. */
export interface Hasher {
  hash(password: string): Promise<string>;
  verify(password: string, encoded: string): Promise<boolean>;
  needsRehash(encoded: string): boolean;
  /** Spends the time of one verification, so unknown usernames answer as slowly as known ones. */
  burn(password: string): Promise<void>;
}

const ALGORITHM = "bcrypt_sha256";
const PREFIX = `${ALGORITHM}$`;

/**
 * Django's `BCryptSHA256PasswordHasher`: bcrypt over the hex SHA-256 of the
 * password, so passwords over bcrypt's 72-byte limit are not silently cut,
 * stored as `bcrypt_sha256$$2b$12$...` so Django can read our hashes and we
 * can read Django's. bcrypt runs on libuv's thread pool, off the event loop.
 */
export class BcryptSha256Hasher implements Hasher {
  private burnHash: Promise<string> | undefined;

  constructor(private readonly cost: number) {}

  async hash(password: string): Promise<string> {
    return PREFIX + (await bcrypt.hash(prehash(password), this.cost));
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    if (!encoded.startsWith(PREFIX)) return false;
    return bcrypt.compare(prehash(password), encoded.slice(PREFIX.length));
  }

  needsRehash(encoded: string): boolean {
    if (!encoded.startsWith(PREFIX)) return true;
    return bcrypt.getRounds(encoded.slice(PREFIX.length)) !== this.cost;
  }

  async burn(password: string): Promise<void> {
    this.burnHash ??= this.hash("authctl-timing-equalizer");
    await this.verify(password, await this.burnHash);
  }
}

function prehash(password: string): string {
  return createHash("sha256").update(password, "utf8").digest("hex");
}
