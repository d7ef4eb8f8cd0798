import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, it } from "node:test";
import { TokenVault } from "../../packages/server/src/auth/tokens.js";
import { UniqueViolation, type NewToken, type Store } from "../../packages/server/src/store/store.js";

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
    const sealed = (options: { key?: string; created?: string; expiry?: string | null; name?: string } = {}): NewToken => ({
      sealed: vault.seal(options.key ?? vault.generate()),
      created: options.created ?? new Date().toISOString(),
      expiry: options.expiry ?? null,
      name: options.name ?? "",
    });
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
      const user = await store.createUser(newUser("alice"), sealed({ key }));
      assert.deepEqual([user.isActive, user.isStaff, user.isSuperuser], [true, false, false]);
      assert.equal((await store.findTokenByDigest(vault.digest(key)))?.user.username, "alice");
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
      const first = await store.getOrCreateToken(user.id, () => sealed());
      const again = await store.getOrCreateToken(user.id, () => sealed());
      assert.deepEqual(again, first);
      await store.deleteUserTokens(user.id);
      assert.equal(await store.findTokenByDigest(first.digest), undefined);
      const fresh = await store.getOrCreateToken(user.id, () => sealed());
      assert.notEqual(fresh.digest, first.digest);
      assert.equal(await store.countTokens(), 1);
    });

    it("replaces a token only if it is still the one the caller saw", async () => {
      const first = sealed();
      const user = await store.createUser(newUser("alice"), first);
      const next = sealed();
      assert.equal(await store.replaceToken(user.id, "not-the-digest", sealed()), false);
      assert.equal(await store.replaceToken(user.id, first.sealed.digest, next), true);
      assert.deepEqual(await store.sampleToken(), next.sealed);
    });

    it("keeps per-login tokens beside the DRF token, lists the live ones and deletes one, or all, of a user's", async () => {
      const now = "2030-01-01T00:00:00.000Z";
      const alice = await store.createUser(newUser("alice"), sealed({ created: "2029-12-01T00:00:00.000Z" }), { perUser: false });
      const bob = await store.createUser(newUser("bob"), sealed());
      const laptop = sealed({ created: "2029-12-02T00:00:00.000Z", expiry: "2030-01-02T00:00:00.000Z", name: "laptop" });
      const gone = sealed({ expiry: "2029-12-31T23:59:59.999Z", name: "old" });
      assert.equal(await store.addToken(alice.id, laptop), true);
      assert.equal(await store.addToken(alice.id, gone), true);
      const listed = await store.listTokens(alice.id, now);
      assert.deepEqual(
        listed.map((token) => [token.name, token.expiry, token.lastUsed]),
        [
          ["", null, null],
          ["laptop", "2030-01-02T00:00:00.000Z", null],
        ],
      );
      assert.equal(JSON.stringify(listed).includes(laptop.sealed.digest), false, "a listing holds no digest");
      assert.equal(
        (await store.findTokenByDigest(gone.sealed.digest))?.token.name,
        "old",
        "an expired token is still found; the caller judges it",
      );
      // The limit counts live tokens only: two live, so a third fits under 3 and not under 2.
      assert.equal(await store.addToken(alice.id, sealed(), { max: 2, now }), false);
      assert.equal(await store.addToken(alice.id, sealed(), { max: 3, now }), true);
      const laptopId = listed[1]?.id ?? 0;
      await store.touchToken(laptopId, now, "2030-01-05T00:00:00.000Z");
      assert.deepEqual((await store.findTokenByDigest(laptop.sealed.digest))?.token, {
        id: laptopId,
        created: "2029-12-02T00:00:00.000Z",
        expiry: "2030-01-05T00:00:00.000Z",
        lastUsed: now,
        name: "laptop",
      });
      assert.equal(await store.deleteTokenById(bob.id, laptopId), false, "one user cannot end another's token");
      assert.equal(await store.deleteTokenById(alice.id, laptopId), true);
      assert.equal(await store.findTokenByDigest(laptop.sealed.digest), undefined);
      assert.equal(await store.pruneExpiredTokens(now, 100), 1);
      assert.equal(await store.findTokenByDigest(gone.sealed.digest), undefined);
      await store.deleteUserTokens(alice.id);
      assert.deepEqual(await store.listTokens(alice.id, now), []);
      assert.equal((await store.listTokens(bob.id, now)).length, 1, "bob's token is untouched");
    });

    it("prunes expired tokens in bounded batches", async () => {
      const user = await store.createUser(newUser("alice"), sealed(), { perUser: false });
      for (let i = 0; i < 5; i++) await store.addToken(user.id, sealed({ expiry: "2020-01-01T00:00:00.000Z" }));
      assert.equal(await store.pruneExpiredTokens("2021-01-01T00:00:00.000Z", 3), 3);
      assert.equal(await store.pruneExpiredTokens("2021-01-01T00:00:00.000Z", 3), 2);
      assert.equal(await store.countTokens(), 1);
    });

    it("under concurrent logins, gives a user one DRF token, and never more per-login tokens than the limit", async () => {
      const user = await store.createUser(newUser("alice"), sealed(), { perUser: false });
      const drf = await Promise.all(Array.from({ length: 10 }, () => store.getOrCreateToken(user.id, () => sealed())));
      assert.equal(new Set(drf.map((token) => token.digest)).size, 1);
      const now = new Date().toISOString();
      const added = await Promise.all(Array.from({ length: 10 }, () => store.addToken(user.id, sealed(), { max: 5, now })));
      assert.equal(added.filter(Boolean).length, 3, "two live already (the first per-login token and the DRF one), three more fit");
      assert.equal((await store.listTokens(user.id, now)).length, 5);
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
