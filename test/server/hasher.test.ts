import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BcryptSha256Hasher } from "../../packages/server/src/auth/hasher.js";

// Made by Django 3.2's BCryptSHA256PasswordHasher (rounds=4), so our hashes and Django's interoperate.
const DJANGO_LONG = "bcrypt_sha256$$2b$04$pMRYBjC2vJodPbQNsVxSVODgxyhj19PzHK3j8A/PBkls5nHY8ke8G";
const DJANGO_UNICODE = "bcrypt_sha256$$2b$04$EkdpRo.XWmfDZcOQUAMHYuXkYW30RSVLM.HYHjh0GfUIzgWhAS19a";
const LONG_PASSWORD = `correct horse battery staple ${"x".repeat(80)}`;

describe("BcryptSha256Hasher", () => {
  const hasher = new BcryptSha256Hasher(4);

  it("stores Django's bcrypt_sha256 format with the configured cost", async () => {
    assert.match(await hasher.hash("pw"), /^bcrypt_sha256\$\$2b\$04\$[./A-Za-z0-9]{53}$/);
  });

  it("verifies hashes Django made", async () => {
    assert.equal(await hasher.verify(LONG_PASSWORD, DJANGO_LONG), true);
    assert.equal(await hasher.verify("pässwörd", DJANGO_UNICODE), true);
    assert.equal(await hasher.verify("passwörd", DJANGO_UNICODE), false);
  });

  it("tells apart passwords that differ only after bcrypt's 72 bytes", async () => {
    const base = "p".repeat(72);
    const encoded = await hasher.hash(`${base}A`);
    assert.equal(await hasher.verify(`${base}A`, encoded), true);
    assert.equal(await hasher.verify(`${base}B`, encoded), false);
  });

  it("asks for a rehash when the cost changed or the format is foreign", async () => {
    const encoded = await hasher.hash("pw");
    assert.equal(hasher.needsRehash(encoded), false);
    assert.equal(new BcryptSha256Hasher(5).needsRehash(encoded), true);
    assert.equal(hasher.needsRehash("pbkdf2_sha256$1$salt$hash"), true);
    assert.equal(await hasher.verify("pw", "pbkdf2_sha256$1$salt$hash"), false);
  });

  it("refuses, without hashing, a stored cost beyond both the import limit (16) and its own", async () => {
    // Cost 31 would hold a core for days; the answer is a failed check at once.
    const planted = DJANGO_LONG.replace("$2b$04$", "$2b$31$");
    assert.equal(await hasher.verify(LONG_PASSWORD, planted), false);
    assert.equal(await new BcryptSha256Hasher(16).verify(LONG_PASSWORD, planted), false);
  });
});
