import { verify as argon2Verify } from "@node-rs/argon2";
import bcrypt from "bcrypt";
import { pbkdf2, scrypt, timingSafeEqual, type BinaryLike } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: BinaryLike, salt: BinaryLike, keylen: number, options: object) => Promise<Buffer>;

/**
 * Checks a password against a hash made by one of Django's other hashers, as
 * found in an imported `auth_user` table: `pbkdf2_sha256`, `pbkdf2_sha1`,
 * `bcrypt`, `argon2` and `scrypt` (`bcrypt_sha256` is the server's own).
 * Unusable passwords (`!…`), unknown algorithms and malformed hashes never
 * match. All of them run off the event loop.
 */
export async function verifyDjangoHash(password: string, encoded: string): Promise<boolean> {
  const algorithm = encoded.slice(0, encoded.indexOf("$"));
  try {
    switch (algorithm) {
      case "pbkdf2_sha256":
        return await verifyPbkdf2(password, encoded, "sha256", 32);
      case "pbkdf2_sha1":
        return await verifyPbkdf2(password, encoded, "sha1", 20);
      case "bcrypt":
        // Django's BCryptPasswordHasher: bcrypt over the raw password, stored as bcrypt$$2b$12$…
        return await bcrypt.compare(password, encoded.slice("bcrypt$".length));
      case "argon2":
        // Django stores argon2-cffi's PHC string without its leading "$": argon2$argon2id$v=19$m=…
        return await argon2Verify(encoded.slice("argon2".length), password);
      case "scrypt":
        return await verifyScrypt(password, encoded);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` */
async function verifyPbkdf2(password: string, encoded: string, digest: "sha256" | "sha1", length: number): Promise<boolean> {
  const [, iterations, salt, hash] = encoded.split("$");
  const rounds = Number(iterations);
  if (salt === undefined || hash === undefined || !Number.isInteger(rounds) || rounds < 1) return false;
  const derived = await pbkdf2Async(password, salt, rounds, length, digest);
  return sameBytes(derived, hash);
}

/** `scrypt$<n>$<salt>$<r>$<p>$<base64 hash>`, 64 bytes, as Django's ScryptPasswordHasher. */
async function verifyScrypt(password: string, encoded: string): Promise<boolean> {
  const [, n, salt, r, p, hash] = encoded.split("$");
  const [N, blockSize, parallelism] = [Number(n), Number(r), Number(p)];
  if (salt === undefined || hash === undefined || ![N, blockSize, parallelism].every((v) => Number.isInteger(v) && v > 0)) return false;
  const maxmem = 256 * N * blockSize + 1024 * 1024;
  const derived = await scryptAsync(password, salt, 64, { N, r: blockSize, p: parallelism, maxmem });
  return sameBytes(derived, hash);
}

function sameBytes(derived: Buffer, base64: string): boolean {
  const expected = Buffer.from(base64, "base64");
  return expected.length === derived.length && timingSafeEqual(expected, derived);
}
