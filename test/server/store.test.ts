import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import Database from "better-sqlite3";
import { TokenVault } from "../../packages/server/src/auth/tokens.js";
import { MIGRATIONS } from "../../packages/server/src/store/migrations.js";
import { SqliteStore } from "../../packages/server/src/store/sqlite-store.js";
import { UniqueViolation } from "../../packages/server/src/store/store.js";
import { tempDir } from "../helpers/temp.js";

/** How many of this process's file descriptors point at `path` (Linux /proc). */
async function openHandlesTo(path: string): Promise<number> {
  const fds = await readdir("/proc/self/fd");
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")));
  return targets.filter((target) => target === path).length;
}

describe("SqliteStore", () => {
  const vault = new TokenVault(randomBytes(32));
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let path: string;
  let store: SqliteStore;
  const newUser = (username: string, email = `${username}@example.com`) => ({ username, email, passwordHash: "h" });

  beforeEach(async () => {
    dir = await tempDir();
    path = join(dir.path, "db.sqlite3");
    store = new SqliteStore(path);
  });
  afterEach(async () => {
    await store.close();
    await dir.remove();
  });

  it("creates normal users with their token", async () => {
    const key = vault.generate();
    const user = await store.createUser(newUser("alice"), vault.seal(key));
    assert.deepEqual([user.isActive, user.isStaff, user.isSuperuser], [true, false, false]);
    assert.equal((await store.findUserByTokenDigest(vault.digest(key)))?.username, "alice");
    assert.equal((await store.findUserByUsername("alice"))?.id, user.id);
  });

  it("keeps usernames case-sensitive, like Django", async () => {
    await store.createUser(newUser("alice"), vault.seal(vault.generate()));
    assert.equal(await store.usernameTaken("Alice"), false);
    await store.createUser(newUser("Alice", "other@example.com"), vault.seal(vault.generate()));
    await assert.rejects(store.createUser(newUser("alice", "x@example.com"), vault.seal(vault.generate())), new UniqueViolation("username"));
  });

  it("treats emails as one mailbox whatever their case", async () => {
    await store.createUser(newUser("alice", "Alice@Example.com"), vault.seal(vault.generate()));
    assert.equal(await store.emailTaken("alice@EXAMPLE.COM"), true);
    await assert.rejects(store.createUser(newUser("bob", "ALICE@example.com"), vault.seal(vault.generate())), new UniqueViolation("email"));
  });

  it("keeps one token per user until it is deleted", async () => {
    const user = await store.createUser(newUser("alice"), vault.seal(vault.generate()));
    const first = await store.getOrCreateToken(user.id, () => vault.seal(vault.generate()));
    const again = await store.getOrCreateToken(user.id, () => vault.seal(vault.generate()));
    assert.deepEqual(again, first);
    await store.deleteToken(user.id);
    assert.equal(await store.findUserByTokenDigest(first.digest), undefined);
    const fresh = await store.getOrCreateToken(user.id, () => vault.seal(vault.generate()));
    assert.notEqual(fresh.digest, first.digest);
  });

  it("records the schema version and reopens without migrating twice", async () => {
    await store.createUser(newUser("alice"), vault.seal(vault.generate()));
    await store.close();
    store = new SqliteStore(path);
    assert.equal(await store.usernameTaken("alice"), true);
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma("user_version", { simple: true }), MIGRATIONS.length);
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    db.close();
  });

  it("refuses a database from a newer server", async () => {
    await store.close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const before = await openHandlesTo(path);
    assert.throws(() => new SqliteStore(path), /newer than this server/);
    assert.equal(await openHandlesTo(path), before, "the failed open closed its handle");
    store = new SqliteStore(join(dir.path, "other.sqlite3"));
  });
});
