import { verify as argon2Verify } from "@node-rs/argon2";
import bcrypt from "bcrypt";
import { pbkdf2, scrypt, timingSafeEqual, type BinaryLike } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: BinaryLike, salt: BinaryLike, keylen: number, options: object) => Promise<Buffer>;

const MiB = 1024 * 1024;

/**
 * The most one password check may cost. A hash carries its own parameters, and
 * one imported from Django's auth_user could ask for gigabytes of memory or
 * minutes of CPU per login attempt (scrypt N=2^20, argon2 m=2 GiB, bcrypt cost
 * 20): `import-django` skips such users and the server never verifies such a
 * hash. The bounds sit well above Django's defaults (bcrypt 12, PBKDF2 about a
 * million iterations, scrypt 16 MiB, argon2 m=100 MiB t=2).
 */
export interface HashLimits {
  /** Characters of the whole encoded hash: Django's column holds 128. */
  encodedChars: number;
  bcryptCost: number;
  pbkdf2Iterations: number;
  /** Memory one scrypt (128·N·r bytes) or argon2 (m KiB) check fills. */
  memoryBytes: number;
  /** Memory times the passes over it (scrypt's p, argon2's t): what multiplies the time without the memory. */
  memoryWorkBytes: number;
}

export const HASH_LIMITS: HashLimits = {
  encodedChars: 4096,
  bcryptCost: 16,
  pbkdf2Iterations: 10_000_000,
  memoryBytes: 128 * MiB,
  memoryWorkBytes: 1024 * MiB,
};

/** A Django hash taken apart, its cost parameters as numbers. */
type Parsed =
  | { algorithm: "pbkdf2_sha256" | "pbkdf2_sha1"; iterations: number; salt: string; hash: string }
  | { algorithm: "bcrypt" | "bcrypt_sha256"; cost: number; bcryptHash: string }
  | { algorithm: "argon2"; memoryKiB: number; passes: number; phc: string }
  | { algorithm: "scrypt"; N: number; r: number; p: number; salt: string; hash: string };

/** A count as Django writes it: digits only (Number() would also take "1e9" or "0x10"). */
const count = (text: string | undefined): number | undefined => (text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined);

/** Undefined for an unknown algorithm or an unusable password (`!…`), "malformed" for a known one whose parameters cannot be read. */
function parse(encoded: string): Parsed | "malformed" | undefined {
  const parts = encoded.split("$");
  const algorithm = parts[0];
  switch (algorithm) {
    case "pbkdf2_sha256":
    case "pbkdf2_sha1": {
      // pbkdf2_sha256$<iterations>$<salt>$<base64 hash>
      const [, iterations, salt, hash] = parts;
      const rounds = count(iterations);
      return rounds !== undefined && rounds > 0 && salt !== undefined && hash !== undefined
        ? { algorithm, iterations: rounds, salt, hash }
        : "malformed";
    }
    case "bcrypt":
    case "bcrypt_sha256": {
      // bcrypt$$2b$12$<salt and hash>: the bcrypt string after the algorithm's "$".
      const bcryptHash = encoded.slice(algorithm.length + 1);
      const cost = count(/^\$2[abxy]?\$(\d\d)\$/.exec(bcryptHash)?.[1]);
      return cost === undefined ? "malformed" : { algorithm, cost, bcryptHash };
    }
    case "argon2": {
      // argon2$argon2id$v=19$m=102400,t=2,p=8$<salt>$<hash>: argon2-cffi's PHC string without its leading "$" (old ones lack v=).
      const params = /^m=(\d+),t=(\d+),p=(\d+)$/.exec(parts[parts[2]?.startsWith("v=") ? 3 : 2] ?? "");
      const [memoryKiB, passes] = [count(params?.[1]), count(params?.[2])];
      return memoryKiB === undefined || passes === undefined
        ? "malformed"
        : { algorithm, memoryKiB, passes, phc: encoded.slice(algorithm.length) };
    }
    case "scrypt": {
      // scrypt$<N>$<salt>$<r>$<p>$<base64 hash>, as Django's ScryptPasswordHasher.
      const [, n, salt, r, p, hash] = parts;
      const [N, blockSize, parallelism] = [count(n), count(r), count(p)];
      if (N === undefined || blockSize === undefined || parallelism === undefined || salt === undefined || hash === undefined)
        return "malformed";
      return [N, blockSize, parallelism].every((value) => value > 0)
        ? { algorithm, N, r: blockSize, p: parallelism, salt, hash }
        : "malformed";
    }
    default:
      return undefined;
  }
}

const mib = (bytes: number) => `${Number((bytes / MiB).toFixed(1))} MiB`;

/** Why `parsed` costs more than `limits` allow, or undefined when it does not. */
function costProblem(parsed: Parsed, limits: HashLimits): string | undefined {
  const { algorithm } = parsed;
  const memory = (bytes: number, passes: number, name: string) => {
    if (bytes > limits.memoryBytes) return `its ${algorithm} hash needs ${mib(bytes)} of memory, more than ${mib(limits.memoryBytes)}`;
    const work = bytes * passes;
    if (work > limits.memoryWorkBytes)
      return `its ${algorithm} hash goes ${passes} times (${name}) over ${mib(bytes)}: ${mib(work)}, more than ${mib(limits.memoryWorkBytes)}`;
    return undefined;
  };
  switch (algorithm) {
    case "pbkdf2_sha256":
    case "pbkdf2_sha1":
      return parsed.iterations > limits.pbkdf2Iterations
        ? `its ${algorithm} hash has ${parsed.iterations} iterations, more than ${limits.pbkdf2Iterations}`
        : undefined;
    case "bcrypt":
    case "bcrypt_sha256":
      return parsed.cost > limits.bcryptCost ? `its ${algorithm} hash has cost ${parsed.cost}, more than ${limits.bcryptCost}` : undefined;
    case "argon2":
      return memory(parsed.memoryKiB * 1024, parsed.passes, "t");
    case "scrypt":
      return memory(128 * parsed.N * parsed.r, parsed.p, "p");
  }
}

/**
 * The hash taken apart when it may be checked; otherwise why not (longer than
 * the limit, a known algorithm's parameters unreadable or beyond the limits),
 * or neither for an unusable password or an unknown algorithm, which cost
 * nothing and simply never match.
 */
function examine(encoded: string, limits: HashLimits): { parsed: Parsed } | { problem: string } | undefined {
  if (encoded.length > limits.encodedChars)
    return { problem: `its password hash is ${encoded.length} characters, more than ${limits.encodedChars}` };
  const parsed = parse(encoded);
  if (parsed === undefined) return undefined;
  if (parsed === "malformed") return { problem: `its ${encoded.slice(0, encoded.indexOf("$"))} hash is malformed` };
  const problem = costProblem(parsed, limits);
  return problem === undefined ? { parsed } : { problem };
}

/** Why checking a password against `encoded` would be refused (see `examine`), or undefined. */
export function djangoHashProblem(encoded: string, limits: HashLimits = HASH_LIMITS): string | undefined {
  const examined = examine(encoded, limits);
  return examined && "problem" in examined ? examined.problem : undefined;
}

/**
 * Checks a password against a hash made by one of Django's other hashers, as
 * found in an imported `auth_user` table: `pbkdf2_sha256`, `pbkdf2_sha1`,
 * `bcrypt`, `argon2` and `scrypt` (`bcrypt_sha256` is the server's own).
 * Unusable passwords (`!…`), unknown algorithms, malformed hashes and hashes
 * beyond `limits` never match, the last without any hashing. All of them run
 * off the event loop.
 */
export async function verifyDjangoHash(password: string, encoded: string, limits: HashLimits = HASH_LIMITS): Promise<boolean> {
  const examined = examine(encoded, limits);
  if (!examined || "problem" in examined) return false;
  const { parsed } = examined;
  try {
    switch (parsed.algorithm) {
      case "pbkdf2_sha256":
        return sameBytes(await pbkdf2Async(password, parsed.salt, parsed.iterations, 32, "sha256"), parsed.hash);
      case "pbkdf2_sha1":
        return sameBytes(await pbkdf2Async(password, parsed.salt, parsed.iterations, 20, "sha1"), parsed.hash);
      case "bcrypt":
        // Django's BCryptPasswordHasher: bcrypt over the raw password.
        return await bcrypt.compare(password, parsed.bcryptHash);
      case "argon2":
        return await argon2Verify(parsed.phc, password);
      case "scrypt": {
        const { N, r, p } = parsed;
        // Node refuses more than 32 MiB unless told; the limits above already bound it.
        const derived = await scryptAsync(password, parsed.salt, 64, { N, r, p, maxmem: 256 * N * r + MiB });
        return sameBytes(derived, parsed.hash);
      }
      case "bcrypt_sha256":
        // The server's own (hasher.ts), checked there over the password's SHA-256; never here.
        return false;
    }
  } catch {
    return false;
  }
}

function sameBytes(derived: Buffer, base64: string): boolean {
  const expected = Buffer.from(base64, "base64");
  return expected.length === derived.length && timingSafeEqual(expected, derived);
}
