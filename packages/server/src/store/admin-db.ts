import Database from "better-sqlite3";
import type pg from "pg";
import type { PostgresStore } from "./postgres-store.js";

export type Row = Record<string, unknown>;

/**
 * A thin, dialect-neutral handle on the database for administration (import,
 * copy, key rotation, account commands), which needs more than the request
 * path's Store. SQL is written with `?` placeholders and booleans as JS values;
 * each adapter translates. Administration runs in a CLI process, so the
 * SQLite adapter may wait on locks synchronously.
 */
export interface AdminDb {
  readonly dialect: "sqlite" | "postgres";
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs `work` in one transaction, rolled back if it throws. */
  transaction<T>(work: (tx: AdminDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** How long an admin command waits for a server's write lock on SQLite. */
const SQLITE_ADMIN_BUSY_MS = 10_000;

export function sqliteAdminDb(path: string): AdminDb {
  const db = new Database(path, { fileMustExist: true });
  db.pragma(`busy_timeout = ${SQLITE_ADMIN_BUSY_MS}`);
  db.pragma("foreign_keys = ON");
  const bind = (params: readonly unknown[]) => params.map((value) => (typeof value === "boolean" ? Number(value) : value));
  const handle: AdminDb = {
    dialect: "sqlite",
    all: (sql, params = []) => {
      const statement = db.prepare(sql);
      if (statement.reader) return Promise.resolve(statement.all(...bind(params)) as Row[]);
      statement.run(...bind(params));
      return Promise.resolve([]);
    },
    run: (sql, params = []) => Promise.resolve(db.prepare(sql).run(...bind(params)).changes),
    transaction: async (work) => {
      db.exec("BEGIN IMMEDIATE");
      try {
        const result = await work(handle);
        db.exec("COMMIT");
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw error;
      }
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
  return handle;
}

export function postgresAdminDb(store: PostgresStore): AdminDb {
  return {
    dialect: "postgres",
    all: async (sql, params = []) => (await store.query(numbered(sql), [...params])).rows,
    run: async (sql, params = []) => (await store.query(numbered(sql), [...params])).rowCount ?? 0,
    transaction: (work) => store.transaction((client) => work(clientAdminDb(client))),
    close: () => store.close(),
  };
}

function clientAdminDb(client: pg.PoolClient): AdminDb {
  const handle: AdminDb = {
    dialect: "postgres",
    all: async (sql, params = []) => (await client.query(numbered(sql), [...params])).rows as Row[],
    run: async (sql, params = []) => (await client.query(numbered(sql), [...params])).rowCount ?? 0,
    transaction: (work) => work(handle),
    close: () => Promise.resolve(),
  };
  return handle;
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (admin SQL has no `?` in literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
