import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
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
});
