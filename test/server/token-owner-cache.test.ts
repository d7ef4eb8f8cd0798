import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import Sqlite from "better-sqlite3";
import { TokenVault } from "../../packages/server/src/auth/tokens.js";
import { AccountStore } from "../../packages/server/src/store/account-store.js";
import { DATABASE_FILE } from "../../packages/server/src/store/database.js";
import type { TokenOwner } from "../../packages/server/src/store/store.js";
import { TokenOwnerCache } from "../../packages/server/src/store/token-owner-cache.js";
import { openAccountStore } from "../helpers/database.js";
import { tempDir } from "../helpers/temp.js";

/**
 * The token check's cache on SQLite (store/token-owner-cache.ts): it saves
 * reading the same row again only while nothing was committed, so no answer
 * outlives a revocation, a deactivation or an expiry moved, wherever it was
 * written: this store, another store on the file (another worker or process),
 * or a plain SQLite connection (an administrator's sqlite3 shell).
 */
describe("the token check's cache on SQLite", () => {
  const vault = new TokenVault(randomBytes(32));
  const newToken = (key: string) => ({ sealed: vault.seal(key), created: new Date().toISOString(), expiry: null, name: "" });
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: AccountStore;
  let other: AccountStore;
  let key: string;
  let userId: number;

  beforeEach(async () => {
    dir = await tempDir();
    store = await openAccountStore({ dataDir: dir.path });
    other = await openAccountStore({ dataDir: dir.path });
    key = vault.generate();
    userId = (await store.createUser({ username: "ada", email: "ada@example.com", passwordHash: "h" }, newToken(key))).id;
  });
  afterEach(async () => {
    await store.close();
    await other.close();
    await dir.remove();
  });

  const lookUp = (on: AccountStore = store) => on.findTokenByDigest(vault.digest(key));
  /** Runs SQL on the file through a connection of its own, outside the data layer. */
  const shell = (text: string) => {
    const db = new Sqlite(join(dir.path, DATABASE_FILE));
    try {
      db.exec(text);
    } finally {
      db.close();
    }
  };

  it("answers a repeated check from memory with the same owner", async () => {
    const first = await lookUp();
    const second = await lookUp();
    assert.equal(second?.user.username, "ada");
    assert.deepEqual(second, first);
    // A new owner object each time, over records nobody may change.
    assert.notEqual(second, first);
    assert.ok(Object.isFrozen(second.user) && Object.isFrozen(second.token));
  });

  it("sees a token revoked through another store on the file at the very next check", async () => {
    const owner = await lookUp();
    assert.ok(owner);
    assert.ok(await lookUp());
    assert.equal(await other.deleteTokenById(userId, owner.token.id), true);
    assert.equal(await lookUp(), undefined);
  });

  it("sees a token revoked through the same store at the very next check", async () => {
    assert.ok(await lookUp());
    await store.deleteUserTokens(userId);
    assert.equal(await lookUp(), undefined);
  });

  it("sees a deactivation and an expiry written by a plain SQLite connection", async () => {
    assert.equal((await lookUp())?.user.isActive, true);
    shell(`UPDATE users SET is_active = 0 WHERE id = ${userId}`);
    assert.equal((await lookUp())?.user.isActive, false);
    shell(`UPDATE tokens SET expiry = '2000-01-01 00:00:00.000000' WHERE user_id = ${userId}`);
    assert.match((await lookUp())?.token.expiry ?? "", /^2000-01-01/);
  });

  it("finds a token created elsewhere after the same digest was looked up in vain", async () => {
    const later = vault.generate();
    assert.equal(await store.findTokenByDigest(vault.digest(later)), undefined);
    assert.equal(await other.addToken(userId, newToken(later)), true);
    assert.equal((await store.findTokenByDigest(vault.digest(later)))?.user.id, userId);
  });
});

describe("TokenOwnerCache", () => {
  const owner = (username: string): TokenOwner => ({
    user: {
      id: 1,
      username,
      email: "",
      passwordHash: "h",
      isActive: true,
      isStaff: false,
      isSuperuser: false,
      dateJoined: "2026-01-01T00:00:00Z",
      firstName: "",
      lastName: "",
      lastLogin: null,
    },
    token: { id: 1, created: "2026-01-01T00:00:00Z", expiry: null, lastUsed: null, name: "" },
  });

  it("never keeps a row read before a write that landed while the read was answered", async () => {
    let mark = 1;
    const cache = new TokenOwnerCache(() => mark);
    let answer!: (owner: TokenOwner) => void;
    let readStarted!: () => void;
    const started = new Promise<void>((resolve) => (readStarted = resolve));
    const reading = cache.find("d", () => {
      readStarted();
      return new Promise((resolve) => (answer = resolve));
    });
    await started;
    // The write lands, and another check takes the new mark, before the first read's answer is taken up.
    mark = 2;
    await cache.find("other", () => Promise.resolve(undefined));
    answer(owner("before the write"));
    assert.equal((await reading)?.user.username, "before the write");
    assert.equal((await cache.find("d", () => Promise.resolve(owner("after the write"))))?.user.username, "after the write");
  });

  it("asks for the mark once for the lookups of a turn, after all of them began: a commit just before is seen", async () => {
    let mark = 1;
    let asked = 0;
    const cache = new TokenOwnerCache(() => {
      asked++;
      return mark;
    });
    await cache.find("d", () => Promise.resolve(owner("before the commit")));
    asked = 0;
    const lookups = ["d", "d", "d"].map((digest) => cache.find(digest, () => Promise.resolve(owner("after the commit"))));
    // A commit lands after the requests arrived, before the turn's I/O is done: their answers must see it.
    mark = 2;
    const owners = await Promise.all(lookups);
    assert.deepEqual(
      owners.map((found) => found?.user.username),
      ["after the commit", "after the commit", "after the commit"],
    );
    assert.equal(asked, 1);
  });

  it("reads the database every time while no change mark can be had", async () => {
    let reads = 0;
    const cache = new TokenOwnerCache(() => undefined);
    for (let i = 0; i < 3; i++) await cache.find("d", () => Promise.resolve(owner(`read ${++reads}`)));
    assert.equal(reads, 3);
  });

  it("holds at most its capacity, starting over when full", async () => {
    let reads = 0;
    const cache = new TokenOwnerCache(() => 1, 2);
    const read = () => {
      reads++;
      return Promise.resolve(undefined);
    };
    for (const digest of ["a", "b", "a", "b"]) await cache.find(digest, read);
    assert.equal(reads, 2);
    await cache.find("c", read);
    await cache.find("a", read);
    assert.equal(reads, 4);
  });
});
