import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, it } from "node:test";
import { TokenVault } from "../../packages/server/src/auth/tokens.js";
import { UniqueViolation, type Store } from "../../packages/server/src/store/store.js";

/** A fresh, empty database behind a store, and a way to open the same database again. */
export interface StoreFixture {
  store: Store;
  reopen(): Promise<Store>;
  remove(): Promise<void>;
}

/** The guarantees every Store gives, run once for each implementation. */
export function storeContract(name: string, fresh: () => Promise<StoreFixture>): void {
  describe(`${name} (store contract)`, () => {
    const vault = new TokenVault(randomBytes(32));
    const sealed = () => vault.seal(vault.generate());
    const newUser = (username: string, email = `${username}@example.com`) => ({ username, email, passwordHash: "h" });
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await fresh();
      store = fixture.store;
    });
    afterEach(async () => {
      await store.close();
      await fixture.remove();
    });

    it("creates normal users with their token", async () => {
      const key = vault.generate();
      const user = await store.createUser(newUser("alice"), vault.seal(key));
      assert.deepEqual([user.isActive, user.isStaff, user.isSuperuser], [true, false, false]);
      assert.equal((await store.findUserByTokenDigest(vault.digest(key)))?.username, "alice");
      const found = await store.findUserByUsername("alice");
      assert.equal(found?.id, user.id);
      assert.equal(found.dateJoined, user.dateJoined);
    });

    it("keeps a user's details, names and last login (none until recorded), and refuses a taken username", async () => {
      const user = await store.createUser(newUser("alice", "Alice@Example.com"), sealed());
      await store.createUser(newUser("bob"), sealed());
      assert.deepEqual([user.firstName, user.lastName, user.lastLogin], ["", "", null]);
      const updated = await store.updateUserDetails(user.id, { firstName: "Ada", lastName: "Lovelace" });
      assert.deepEqual([updated?.username, updated?.firstName, updated?.lastName], ["alice", "Ada", "Lovelace"]);
      await assert.rejects(store.updateUserDetails(user.id, { username: "bob" }), new UniqueViolation("username"));
      assert.equal((await store.updateUserDetails(user.id, { username: "ada" }))?.lastName, "Lovelace");
      assert.equal((await store.findActiveUserByEmail("alice@example.COM"))?.username, "ada");
      assert.equal((await store.findUserById(user.id))?.firstName, "Ada");
      assert.equal(await store.findUserById(user.id + 100), undefined);
    });

    it("keeps usernames case-sensitive, like Django", async () => {
      await store.createUser(newUser("alice"), sealed());
      assert.equal(await store.usernameTaken("Alice"), false);
      await store.createUser(newUser("Alice", "other@example.com"), sealed());
      await assert.rejects(store.createUser(newUser("alice", "x@example.com"), sealed()), new UniqueViolation("username"));
    });

    it("treats emails as one mailbox whatever their ASCII case", async () => {
      await store.createUser(newUser("alice", "Alice@Example.com"), sealed());
      assert.equal(await store.emailTaken("alice@EXAMPLE.COM"), true);
      await assert.rejects(store.createUser(newUser("bob", "ALICE@example.com"), sealed()), new UniqueViolation("email"));
    });

    it("folds ASCII letters only in emails, as SQLite NOCASE and Django's email__iexact there do", async () => {
      await store.createUser(newUser("eve", "ÉLODIE@example.com"), sealed());
      assert.equal(await store.emailTaken("élodie@example.com"), false);
      assert.equal(await store.emailTaken("Élodie@EXAMPLE.com"), true);
      await store.createUser(newUser("elodie", "élodie@example.com"), sealed());
      await store.createUser(newUser("kelvin", "\u212Aelvin@example.com"), sealed());
      assert.equal(await store.emailTaken("kelvin@example.com"), false);
    });

    it("keeps one token per user until it is deleted", async () => {
      const user = await store.createUser(newUser("alice"), sealed());
      const first = await store.getOrCreateToken(user.id, sealed);
      const again = await store.getOrCreateToken(user.id, sealed);
      assert.deepEqual(again, first);
      await store.deleteToken(user.id);
      assert.equal(await store.findUserByTokenDigest(first.digest), undefined);
      const fresh = await store.getOrCreateToken(user.id, sealed);
      assert.notEqual(fresh.digest, first.digest);
      assert.equal(await store.countTokens(), 1);
    });

    it("replaces a token only if it is still the one the caller saw", async () => {
      const first = sealed();
      const user = await store.createUser(newUser("alice"), first);
      const next = sealed();
      assert.equal(await store.replaceToken(user.id, "not-the-digest", sealed()), false);
      assert.equal(await store.replaceToken(user.id, first.digest, next), true);
      assert.deepEqual(await store.sampleToken(), next);
    });

    it("creates a user and their token in one transaction: a clash on the token leaves no user", async () => {
      const token = sealed();
      await store.createUser(newUser("alice"), token);
      await assert.rejects(store.createUser(newUser("bob"), token));
      assert.equal(await store.usernameTaken("bob"), false);
    });

    it("gives exactly one success to concurrent registrations of one username", async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => store.createUser(newUser("race", `race${i}@example.com`), sealed())),
      );
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results) if (r.status === "rejected") assert.deepEqual(r.reason, new UniqueViolation("username"));
    });

    it("keeps the key fingerprint: the first claim holds, revoking all tokens records a new one", async () => {
      assert.equal(await store.keyFingerprint(), undefined);
      assert.equal(await store.claimKeyFingerprint("one"), "one");
      assert.equal(await store.claimKeyFingerprint("two"), "one");
      await store.createUser(newUser("alice"), sealed());
      await store.createUser(newUser("bob"), sealed());
      assert.equal(await store.revokeAllTokens("three"), 2);
      assert.equal(await store.keyFingerprint(), "three");
      assert.equal(await store.countTokens(), 0);
      assert.equal(await store.sampleToken(), undefined);
    });

    it("updates a password hash and answers health checks", async () => {
      const user = await store.createUser(newUser("alice"), sealed());
      await store.setPasswordHash(user.id, "new-hash");
      assert.equal((await store.findUserByUsername("alice"))?.passwordHash, "new-hash");
      await store.ping();
      await store.checkWritable();
    });

    it("keeps its data when opened again, without migrating twice", async () => {
      await store.createUser(newUser("alice"), sealed());
      await store.close();
      store = await fixture.reopen();
      assert.equal(await store.usernameTaken("alice"), true);
      await store.createUser(newUser("bob"), sealed());
    });
  });
}
