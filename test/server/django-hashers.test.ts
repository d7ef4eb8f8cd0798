import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { djangoHashProblem, HASH_LIMITS, verifyDjangoHash, type HashLimits } from "../../packages/server/src/auth/django-hashers.js";
import { BcryptSha256Hasher } from "../../packages/server/src/auth/hasher.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/django/", import.meta.url));

interface FixtureUser {
  username: string;
  password: string | null;
  algorithm: string;
}

/** Each user's hash as the real Django wrote it (test/fixtures/django/make-django-db.py). */
function djangoHashes(): { user: FixtureUser; encoded: string }[] {
  const { users } = JSON.parse(readFileSync(`${FIXTURE}users.json`, "utf8")) as { users: FixtureUser[] };
  const db = new Database(`${FIXTURE}db.sqlite3`, { readonly: true });
  try {
    const hashOf = db.prepare<[string], { password: string }>("SELECT password FROM auth_user WHERE username = ?");
    return users.map((user) => ({ user, encoded: hashOf.get(user.username)?.password ?? "" }));
  } finally {
    db.close();
  }
}

describe("Django's password hashers", () => {
  const hasher = new BcryptSha256Hasher(4);
  const hashes = djangoHashes();

  it("covers every hasher Django offers for import", () => {
    const algorithms = new Set(hashes.map(({ user }) => user.algorithm));
    for (const name of ["pbkdf2_sha256", "pbkdf2_sha1", "bcrypt_sha256", "bcrypt", "argon2", "scrypt", "unusable"]) {
      assert.ok(algorithms.has(name), name);
    }
  });

  for (const { user, encoded } of hashes) {
    it(`verifies a ${user.algorithm} hash made by Django (${user.username}) and asks for a rehash`, async () => {
      if (user.password !== null) assert.equal(await hasher.verify(user.password, encoded), true);
      assert.equal(await hasher.verify(`${user.password ?? ""}x`, encoded), false);
      assert.equal(await hasher.verify("", encoded), false);
      assert.equal(hasher.needsRehash(encoded), true, "Django's cost 12 or another algorithm is not ours at cost 4");
    });
  }

  it("never matches an unusable password, whatever is typed", async () => {
    assert.equal(await hasher.verify("!", "!"), false);
    assert.equal(await hasher.verify("anything", "!9beKYKhC65KQhC72KsaUm39Rm1IDHJKDCfQ3WUH"), false);
    assert.equal(await hasher.verify("x", "md5$salt$hash"), false);
    assert.equal(await hasher.verify("x", "pbkdf2_sha256$notanumber$salt$hash"), false);
  });

  it("finds every hash Django made within the limits, Django's argon2 default (m=100 MiB) included", () => {
    for (const { user, encoded } of hashes) assert.equal(djangoHashProblem(encoded), undefined, user.username);
  });

  it("refuses hash parameters beyond the limits, and takes them up to the limits", () => {
    const bcryptTail = "$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./a"; // salt and hash, never computed
    const cases: [string, string | undefined][] = [
      ["pbkdf2_sha256$10000000$salt$aGFzaA==", undefined],
      ["pbkdf2_sha256$10000001$salt$aGFzaA==", "its pbkdf2_sha256 hash has 10000001 iterations, more than 10000000"],
      ["pbkdf2_sha1$20000000$salt$aGFzaA==", "its pbkdf2_sha1 hash has 20000000 iterations, more than 10000000"],
      [`bcrypt$$2b$16${bcryptTail}`, undefined],
      [`bcrypt$$2b$17${bcryptTail}`, "its bcrypt hash has cost 17, more than 16"],
      [`bcrypt_sha256$$2b$20${bcryptTail}`, "its bcrypt_sha256 hash has cost 20, more than 16"],
      ["scrypt$131072$salt$8$1$aGFzaA==", undefined],
      ["scrypt$1048576$salt$8$1$aGFzaA==", "its scrypt hash needs 1024 MiB of memory, more than 128 MiB"],
      ["scrypt$16384$salt$8$64$aGFzaA==", undefined],
      ["scrypt$16384$salt$8$65$aGFzaA==", "its scrypt hash goes 65 times (p) over 16 MiB: 1040 MiB, more than 1024 MiB"],
      ["argon2$argon2id$v=19$m=131072,t=8,p=8$c2FsdA$aGFzaA", undefined],
      ["argon2$argon2id$v=19$m=2097152,t=2,p=8$c2FsdA$aGFzaA", "its argon2 hash needs 2048 MiB of memory, more than 128 MiB"],
      [
        "argon2$argon2id$v=19$m=131072,t=9,p=8$c2FsdA$aGFzaA",
        "its argon2 hash goes 9 times (t) over 128 MiB: 1152 MiB, more than 1024 MiB",
      ],
      ["argon2$argon2i$m=4194304,t=2,p=2$c2FsdA$aGFzaA", "its argon2 hash needs 4096 MiB of memory, more than 128 MiB"],
      ["pbkdf2_sha256$1e9$salt$aGFzaA==", "its pbkdf2_sha256 hash is malformed"],
      ["scrypt$16384$salt$8$$aGFzaA==", "its scrypt hash is malformed"],
      ["argon2$argon2id$v=19$t=2,p=8$c2FsdA$aGFzaA", "its argon2 hash is malformed"],
      [`md5$${"x".repeat(HASH_LIMITS.encodedChars - 4)}`, undefined],
      [`md5$${"x".repeat(HASH_LIMITS.encodedChars - 3)}`, "its password hash is 4097 characters, more than 4096"],
      ["!9beKYKhC65KQhC72KsaUm39Rm1IDHJKDCfQ3WUH", undefined],
    ];
    for (const [encoded, problem] of cases) assert.equal(djangoHashProblem(encoded), problem, encoded.slice(0, 60));
  });

  it("refuses to verify a hash beyond the limits, even with the right password, and verifies it within them", async () => {
    const below = (limit: Partial<HashLimits>): HashLimits => ({ ...HASH_LIMITS, ...limit });
    // Django's own hashes, each checked against limits just under what it needs.
    const tighter: Record<string, HashLimits> = {
      pbkdf2_sha256: below({ pbkdf2Iterations: 259_999 }),
      pbkdf2_sha1: below({ pbkdf2Iterations: 259_999 }),
      bcrypt: below({ bcryptCost: 11 }),
      argon2: below({ memoryBytes: 100 * 1024 * 1024 - 1 }),
      scrypt: below({ memoryBytes: 16 * 1024 * 1024 - 1 }),
    };
    for (const { user, encoded } of hashes) {
      const limits = tighter[user.algorithm];
      if (limits === undefined || user.password === null) continue;
      assert.equal(await verifyDjangoHash(user.password, encoded), true, `${user.username} within the limits`);
      assert.equal(await verifyDjangoHash(user.password, encoded, limits), false, `${user.username} beyond the limits`);
      assert.equal(
        await hasher.verify(user.password, `${encoded}${"=".repeat(HASH_LIMITS.encodedChars)}`),
        false,
        `${user.username}'s hash made too long`,
      );
    }
  });
});
