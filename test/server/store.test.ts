import assert from "node:assert/strict";
import { readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { MIGRATIONS } from "../../packages/server/src/store/migrations.js";
import { SqliteStore } from "../../packages/server/src/store/sqlite-store.js";
import { storeContract } from "../helpers/store-contract.js";
import { tempDir } from "../helpers/temp.js";

/** How many of this process's file descriptors point at `path` (Linux /proc). */
async function openHandlesTo(path: string): Promise<number> {
  const fds = await readdir("/proc/self/fd");
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")));
  return targets.filter((target) => target === path).length;
}

storeContract("SqliteStore", async () => {
  const dir = await tempDir();
  const path = join(dir.path, "db.sqlite3");
  return {
    store: new SqliteStore(path),
    reopen: () => Promise.resolve(new SqliteStore(path)),
    remove: () => dir.remove(),
  };
});

describe("SqliteStore", () => {
  it("records the schema version in user_version and runs in WAL mode", async () => {
    const dir = await tempDir();
    const path = join(dir.path, "db.sqlite3");
    try {
      await new SqliteStore(path).close();
      const db = new Database(path, { readonly: true });
      assert.equal(db.pragma("user_version", { simple: true }), MIGRATIONS.length);
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      db.close();
    } finally {
      await dir.remove();
    }
  });

  it("refuses a database from a newer server, and closes what it opened", async () => {
    const dir = await tempDir();
    const path = join(dir.path, "db.sqlite3");
    try {
      await new SqliteStore(path).close();
      const db = new Database(path);
      db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
      db.close();
      const before = await openHandlesTo(path);
      assert.throws(() => new SqliteStore(path), /newer than this server/);
      assert.equal(await openHandlesTo(path), before, "the failed open closed its handle");
    } finally {
      await dir.remove();
    }
  });
});
