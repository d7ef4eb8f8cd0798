import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadSecretKey } from "../../packages/server/src/auth/secret-key.js";
import { TokenVault } from "../../packages/server/src/auth/tokens.js";
import { tempDir } from "../helpers/temp.js";

describe("TokenVault", () => {
  const vault = new TokenVault(randomBytes(32));

  it("generates 40 lowercase hex characters, different every time", () => {
    const keys = new Set(Array.from({ length: 100 }, () => vault.generate()));
    assert.equal(keys.size, 100);
    for (const key of keys) assert.match(key, /^[0-9a-f]{40}$/);
  });

  it("seals a token so that it opens again but is not readable at rest", () => {
    const key = vault.generate();
    const sealed = vault.seal(key);
    assert.equal(vault.open(sealed), key);
    assert.ok(!sealed.sealed.includes(key) && !Buffer.from(sealed.sealed, "base64").toString("latin1").includes(key));
    assert.notEqual(sealed.digest, key);
    assert.equal(sealed.digest, vault.digest(key));
  });

  it("refuses to open under another key or after tampering", () => {
    const sealed = vault.seal(vault.generate());
    assert.throws(() => new TokenVault(randomBytes(32)).open(sealed));
    const raw = Buffer.from(sealed.sealed, "base64");
    raw[14] = (raw[14] ?? 0) ^ 1;
    assert.throws(() => vault.open({ ...sealed, sealed: raw.toString("base64") }));
    assert.throws(() => vault.open({ ...sealed, digest: vault.digest("other") }));
  });
});

describe("loadSecretKey", () => {
  it("creates secret.key 0600 once and reads the same key afterwards", async () => {
    const dir = await tempDir();
    try {
      const first = loadSecretKey(dir.path, undefined);
      const second = loadSecretKey(dir.path, undefined);
      assert.equal(first.length, 32);
      assert.deepEqual(first, second);
      assert.equal((await stat(join(dir.path, "secret.key"))).mode & 0o777, 0o600);
    } finally {
      await dir.remove();
    }
  });

  it("takes a configured key in hex or base64 and rejects a short one", () => {
    const key = randomBytes(32);
    assert.deepEqual(loadSecretKey("/nonexistent", key.toString("hex")), key);
    assert.deepEqual(loadSecretKey("/nonexistent", key.toString("base64")), key);
    assert.throws(() => loadSecretKey("/nonexistent", "abcd"), /AUTHCTL_SECRET_KEY must hold a 32-byte key/);
  });
});
