import assert from "node:assert/strict";
import { readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Sqlite from "better-sqlite3";
import { sql } from "kysely";
import pg from "pg";
import { Database, DATABASE_FILE } from "../../packages/server/src/store/database.js";
import { describeServers, GONE_AFTER_MS, runningServers, startHeartbeat } from "../../packages/server/src/store/heartbeat.js";
import { redactUrl } from "../../packages/server/src/store/postgres-errors.js";
import { StoreBusy, StoreUnavailable } from "../../packages/server/src/store/store.js";
import { databaseConfig, openAccountStore } from "../helpers/database.js";
import { startPostgres, type PostgresCluster } from "../helpers/postgres.js";
import { storeContract } from "../helpers/store-contract.js";
import { tempDir } from "../helpers/temp.js";

/**
 * The one data layer on both databases: the store contract and the migration
 * history, each run against SQLite and PostgreSQL (the throttle history:
 * throttle-state.test.ts).
 */
let cluster: PostgresCluster;
before(async () => {
  cluster = await startPostgres();
});
after(async () => {
  await cluster.stop();
});

interface Place {
  where: { dataDir?: string; databaseUrl?: string };
  /** Runs one SQL statement on the database from outside the data layer. */
  exec(text: string): Promise<void>;
  remove(): Promise<void>;
}

const places: Record<"SQLite" | "PostgreSQL", () => Promise<Place>> = {
  SQLite: async () => {
    const dir = await tempDir();
    return {
      where: { dataDir: dir.path },
      exec: (text) => {
        const db = new Sqlite(join(dir.path, DATABASE_FILE));
        try {
          db.exec(text);
        } finally {
          db.close();
        }
        return Promise.resolve();
      },
      remove: () => dir.remove(),
    };
  },
  PostgreSQL: async () => {
    const databaseUrl = await cluster.createDatabase();
    return {
      where: { databaseUrl },
      exec: async (text) => {
        const client = new pg.Client(databaseUrl);
        await client.connect();
        try {
          await client.query(text);
        } finally {
          await client.end();
        }
      },
      remove: () => Promise.resolve(),
    };
  },
};

for (const [name, place] of Object.entries(places)) {
  storeContract(`AccountStore on ${name}`, async () => {
    const at = await place();
    return { store: await openAccountStore(at.where), reopen: () => openAccountStore(at.where), remove: () => at.remove() };
  });

  describe(`the data layer on ${name}`, () => {
    it("applies each migration exactly once when five servers open a new database at once", async () => {
      const at = await place();
      try {
        const opened = await Promise.all(Array.from({ length: 5 }, () => Database.open(databaseConfig(at.where))));
        const [first] = opened;
        assert.ok(first);
        const steps = await first.db
          .selectFrom("authctl_migrations" as never)
          .select("name" as never)
          .execute();
        assert.deepEqual(
          steps.map((row) => (row as { name: string }).name),
          ["0001_accounts", "0002_servers", "0003_user_details", "0004_token_ids"],
        );
        await Promise.all(opened.map((database) => database.close()));
      } finally {
        await at.remove();
      }
    });

    it("refuses a database that a newer server has migrated further", async () => {
      const at = await place();
      try {
        await (await Database.open(databaseConfig(at.where))).close();
        await at.exec("INSERT INTO authctl_migrations (name, timestamp) VALUES ('9999_from_the_future', '2030-01-01T00:00:00.000Z')");
        await assert.rejects(Database.open(databaseConfig(at.where)), /9999_from_the_future, newer than this server/);
      } finally {
        await at.remove();
      }
    });
  });
}

/** How many of this process's file descriptors point at `path` (Linux /proc). */
async function openHandlesTo(path: string): Promise<number> {
  const fds = await readdir("/proc/self/fd");
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")));
  return targets.filter((target) => target === path).length;
}

describe("the data layer on SQLite", () => {
  it("runs in WAL mode, and closes what it opened when opening fails", async () => {
    const dir = await tempDir();
    const path = join(dir.path, DATABASE_FILE);
    try {
      await (await Database.open(databaseConfig({ dataDir: dir.path }))).close();
      const db = new Sqlite(path);
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      db.exec("INSERT INTO authctl_migrations (name, timestamp) VALUES ('9999_from_the_future', '2030-01-01T00:00:00.000Z')");
      db.close();
      const before = await openHandlesTo(path);
      await assert.rejects(Database.open(databaseConfig({ dataDir: dir.path })), /newer than this server/);
      assert.equal(await openHandlesTo(path), before, "the failed open closed its handles");
    } finally {
      await dir.remove();
    }
  });

  it("answers StoreBusy after the lock timeout while another process holds the write lock, and reads go on", async () => {
    const dir = await tempDir();
    const store = await openAccountStore({ dataDir: dir.path }, { lockTimeoutMs: 200 });
    const locker = new Sqlite(join(dir.path, DATABASE_FILE));
    try {
      await store.createUser(
        { username: "alice", email: "alice@example.com", passwordHash: "h" },
        { sealed: { digest: "d", sealed: "s" }, created: new Date().toISOString(), expiry: null, name: "" },
      );
      locker.exec("BEGIN IMMEDIATE");
      await assert.rejects(
        store.createUser(
          { username: "bob", email: "bob@example.com", passwordHash: "h" },
          { sealed: { digest: "e", sealed: "t" }, created: new Date().toISOString(), expiry: null, name: "" },
        ),
        (error: unknown) => error instanceof StoreBusy,
      );
      assert.equal((await store.findUserByUsername("alice"))?.username, "alice", "a read does not wait for the lock");
      await assert.rejects(store.checkWritable(), (error: unknown) => error instanceof StoreBusy);
      locker.exec("ROLLBACK");
      await store.checkWritable();
    } finally {
      locker.close();
      await store.close();
      await dir.remove();
    }
  });
});

describe("the data layer on PostgreSQL", () => {
  it("cancels a statement past the statement timeout and reports StoreBusy", async () => {
    const databaseUrl = await cluster.createDatabase();
    const store = await openAccountStore({ databaseUrl }, { pgStatementTimeoutMs: 50 });
    const holder = new pg.Client(databaseUrl);
    await holder.connect();
    try {
      // Another session holds a row lock, so the update waits until the timeout cancels it.
      await store.createUser(
        { username: "alice", email: "alice@example.com", passwordHash: "h" },
        { sealed: { digest: "d", sealed: "s" }, created: new Date().toISOString(), expiry: null, name: "" },
      );
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM users WHERE username = 'alice' FOR UPDATE");
      const user = await store.findUserByUsername("alice");
      assert.ok(user);
      await assert.rejects(store.setPasswordHash(user.id, "other"), (error: unknown) => error instanceof StoreBusy);
      await holder.query("ROLLBACK");
      await store.setPasswordHash(user.id, "other");
    } finally {
      await holder.end();
      await store.close();
    }
  });

  it("health: a table locked by another session or a pool with no free connection is reported within the probe's bound", async () => {
    const databaseUrl = await cluster.createDatabase();
    const store = await openAccountStore({ databaseUrl }, { pgPoolSize: 1 });
    const holder = new pg.Client(databaseUrl);
    await holder.connect();
    try {
      await store.ping();
      await store.checkWritable();
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE users IN SHARE MODE");
      await assert.rejects(
        store.checkWritable(),
        (error: unknown) => error instanceof StoreBusy && /locked by another process/.test(error.reason),
      );
      await holder.query("ROLLBACK");
      await store.checkWritable();
      // The pool's only connection is taken by a slow statement: the probe does not wait for it.
      const slow = store.database.run(({ db }) => sql`SELECT pg_sleep(1)`.execute(db));
      await assert.rejects(
        store.ping(),
        (error: unknown) => error instanceof StoreBusy && /every database connection is busy/.test(error.reason),
      );
      await slow;
      await store.ping();
    } finally {
      await holder.end();
      await store.close();
    }
  });

  it("reports an unreachable database as StoreUnavailable, naming no password", async () => {
    const url = "postgres://someone:hunter2@127.0.0.1:1/nowhere";
    const failure = await openAccountStore({ databaseUrl: url }, { pgConnectTimeoutMs: 2000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(failure instanceof StoreUnavailable, String(failure));
    assert.doesNotMatch(failure.message, /hunter2/);
    assert.equal(redactUrl(url), "postgres://someone:***@127.0.0.1:1/nowhere");
  });
});

describe("the servers' heartbeat", () => {
  it("counts a server seen in the last 30 s as running, forgets one gone longer, and a stopped one at once", async () => {
    const dir = await tempDir();
    const database = await Database.open(databaseConfig({ dataDir: dir.path }));
    try {
      let clock = 1_000_000;
      const beating = await startHeartbeat(database, () => clock);
      assert.equal((await runningServers(database, clock)).length, 1);
      assert.equal((await runningServers(database, clock + GONE_AFTER_MS - 1)).length, 1, "a beat missed is not yet gone");
      clock += GONE_AFTER_MS + 1;
      assert.deepEqual(await runningServers(database, clock), [], "killed without a shutdown: gone after 30 s");
      const second = await startHeartbeat(database, () => clock);
      assert.match(describeServers(await runningServers(database, clock)), /^1 server process \(\S+ pid \d+\)$/);
      await second.stop();
      await beating.stop();
      assert.deepEqual(await runningServers(database, clock), []);
    } finally {
      await database.close();
      await dir.remove();
    }
  });
});
