import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { keyFingerprint, KeyMismatch, keySource, openServerKey } from "../../packages/server/src/auth/secret-key.js";
import type { AccountStore } from "../../packages/server/src/store/account-store.js";
import { openAccountStore } from "../helpers/database.js";
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

describe("openServerKey", () => {
  const quiet = () => {};
  async function withStore(work: (store: AccountStore, dir: string) => Promise<void>) {
    const dir = await tempDir();
    const store = await openAccountStore({ dataDir: dir.path });
    try {
      await work(store, dir.path);
    } finally {
      await store.close();
      await dir.remove();
    }
  }
  const open = (store: AccountStore, dir: string, configured?: string, revokeTokens = false) =>
    openServerKey({ store, source: keySource(dir, configured), database: "db.sqlite3", revokeTokens, log: quiet });
  const addUserWithToken = async (store: AccountStore, key: Buffer, name = "alice") => {
    const sealer = new TokenVault(key);
    await store.createUser(
      { username: name, email: `${name}@example.com`, passwordHash: "h" },
      { sealed: sealer.seal(sealer.generate()), created: new Date().toISOString(), expiry: null, name: "" },
    );
  };

  it("creates secret.key 0600 once, reads the same key afterwards and records its fingerprint", async () => {
    await withStore(async (store, dir) => {
      const first = await open(store, dir);
      const second = await open(store, dir);
      assert.equal(first.length, 32);
      assert.deepEqual(first, second);
      assert.equal((await stat(join(dir, "secret.key"))).mode & 0o777, 0o600);
      assert.equal(await store.keyFingerprint(), keyFingerprint(first));
      assert.deepEqual(await readdir(dir).then((names) => names.filter((name) => name.includes("secret"))), ["secret.key"]);
    });
  });

  it("takes a configured key in hex or base64 and rejects a short one", async () => {
    await withStore(async (store, dir) => {
      const key = randomBytes(32);
      assert.deepEqual(await open(store, dir, key.toString("hex")), key);
      assert.deepEqual(await open(store, dir, key.toString("base64")), key);
      await assert.rejects(open(store, dir, "abcd"), /AUTHCTL_SECRET_KEY must hold a 32-byte key/);
    });
  });

  it("refuses to start when the key that sealed the tokens is missing, and creates no new one", async () => {
    await withStore(async (store, dir) => {
      await addUserWithToken(store, await open(store, dir));
      await rm(join(dir, "secret.key"));
      await assert.rejects(open(store, dir), (error: Error) => {
        assert.ok(error instanceof KeyMismatch);
        assert.match(error.message, /holds 1 token sealed by a secret key, and that key \(.*secret\.key\) is missing/);
        assert.match(error.message, /restore the original key/);
        assert.match(error.message, /--revoke-all-tokens/);
        return true;
      });
      await assert.rejects(stat(join(dir, "secret.key")), { code: "ENOENT" });
    });
  });

  it("refuses a different key while tokens exist, and revokes them all only when asked", async () => {
    await withStore(async (store, dir) => {
      await addUserWithToken(store, await open(store, dir));
      const other = randomBytes(32).toString("hex");
      await assert.rejects(open(store, dir, other), /\(AUTHCTL_SECRET_KEY\) is not the key that sealed them/);
      assert.equal(await store.countTokens(), 1);
      await open(store, dir, other, true);
      assert.equal(await store.countTokens(), 0);
      assert.equal(await store.keyFingerprint(), keyFingerprint(Buffer.from(other, "hex")));
      // With no tokens left to orphan, any key may take over.
      await open(store, dir);
    });
  });

  it("checks a database from before fingerprints by opening one of its tokens", async () => {
    await withStore(async (store, dir) => {
      const key = randomBytes(32);
      await addUserWithToken(store, key);
      assert.equal(await store.keyFingerprint(), undefined);
      await assert.rejects(open(store, dir, randomBytes(32).toString("hex")), KeyMismatch);
      assert.deepEqual(await open(store, dir, key.toString("hex")), key);
      assert.equal(await store.keyFingerprint(), keyFingerprint(key));
    });
  });
});
