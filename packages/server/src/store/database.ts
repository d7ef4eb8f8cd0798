import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import type { DialectName } from "./dialect.js";
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, migrationProvider, migrations } from "./migrations.js";
import { redactUrl, translatePgError } from "./postgres-errors.js";
import type { Schema } from "./schema.js";
import { AuthctlSqliteDialect, type AuthctlSqliteDriver } from "./sqlite-dialect.js";
import * as q from "./queries.js";
import { StoreBusy, UniqueViolation } from "./store.js";

export const DATABASE_FILE = "authctl.sqlite3";

/** Where the accounts live: a PostgreSQL URL, else SQLite in the data directory. */
export interface DatabaseConfig {
  dataDir: string;
  databaseUrl: string | undefined;
  lockTimeoutMs: number;
  pgPoolSize: number;
  pgStatementTimeoutMs: number;
  pgConnectTimeoutMs: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 5000;
export const PG_DEFAULTS = { poolSize: 10, statementTimeoutMs: 5000, connectTimeoutMs: 5000 } as const;

/** Queries run on the database itself or inside a transaction; both are a Kysely<Schema>. */
export type Queryable = Kysely<Schema> | Transaction<Schema>;

/** A query handle with the dialect its SQL must be written for. */
export interface Conn {
  readonly db: Queryable;
  readonly dialect: DialectName;
  /** Outside transactions on SQLite: the first row of compiled SQL, straight from the driver (hot reads). */
  readonly firstRow?: (<R>(sql: string, parameters: readonly unknown[]) => Promise<R | undefined>) | undefined;
}

/**
 * The one data layer: a migrated database behind Kysely, for the request
 * path, the throttle state and every admin command alike. Failures come back
 * as the store's typed errors (UniqueViolation, StoreBusy, StoreUnavailable).
 */
export class Database implements Conn {
  constructor(
    readonly db: Kysely<Schema>,
    readonly dialect: DialectName,
    /** Names the database in messages and logs: a path, or a URL without its password. */
    readonly name: string,
    private readonly probe: (timeoutMs: number) => Promise<void>,
    private readonly translate: (error: unknown) => unknown,
    readonly firstRow?: <R>(sql: string, parameters: readonly unknown[]) => Promise<R | undefined>,
    /** SQLite: moves whenever the database may have changed (AuthctlSqliteDriver.changeMark); PostgreSQL has none. */
    readonly changeMark?: () => number | undefined,
  ) {}

  /** Runs `work` (one or more independent statements), translating failures. */
  async run<T>(work: (conn: Conn) => Promise<T>): Promise<T> {
    try {
      return await work(this);
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * Runs `work` in one transaction, rolled back if it throws. A `snapshot`
   * reads one consistent state of the whole database (SQLite: a deferred read
   * transaction; PostgreSQL: REPEATABLE READ, READ ONLY).
   */
  async transaction<T>(work: (conn: Conn) => Promise<T>, options: { snapshot?: boolean } = {}): Promise<T> {
    let builder = this.db.transaction();
    if (options.snapshot) builder = builder.setAccessMode("read only").setIsolationLevel("repeatable read");
    try {
      return await builder.execute((trx) => work({ db: trx, dialect: this.dialect }));
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** Throws when the database cannot answer a read within `timeoutMs` (PostgreSQL: no pool connection came free: StoreBusy). */
  async ping(timeoutMs: number): Promise<void> {
    const read = this.run((conn) => q.ping(conn));
    await (this.dialect === "postgres" ? withDeadline(read, timeoutMs, POOL_BUSY) : read);
  }

  /** Throws StoreBusy when a write could not start within `timeoutMs`, or why the database cannot be written. */
  async checkWritable(timeoutMs: number): Promise<void> {
    try {
      await this.probe(timeoutMs);
    } catch (error) {
      throw this.translate(error);
    }
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  /**
   * `relaxed`: on SQLite, commits are not synced to disk one by one
   * (`synchronous = NORMAL`): a power cut may lose the last ones, a crash
   * none. For the throttle history, where a lost event lets one more attempt
   * through, and a login should not wait on a second fsync. PostgreSQL
   * ignores it. `migrate: false` when another handle on the file has just
   * migrated it.
   */
  static async open(config: DatabaseConfig, options: { relaxed?: boolean; migrate?: boolean } = {}): Promise<Database> {
    if (config.databaseUrl !== undefined) return openPostgres(config.databaseUrl, config);
    return openSqlite(join(config.dataDir, DATABASE_FILE), {
      ...config,
      relaxed: options.relaxed === true,
      migrate: options.migrate !== false,
    });
  }

  /** Opens an existing SQLite file (admin commands: never creates one). */
  static openSqliteFile(path: string, lockTimeoutMs: number): Promise<Database> {
    return openSqlite(path, { lockTimeoutMs, dataDir: undefined, relaxed: false, migrate: true });
  }
}

/**
 * Sized for millions of users (1 000 000 take about 375 MB): reads go through
 * a memory map of up to 1 GiB, which the OS page cache shares between every
 * worker process, and each connection keeps up to 64 MiB of pages itself.
 */
const CACHE_KIB = 64 * 1024;
const MMAP_BYTES = 1024 * 1024 * 1024;
/** How long opening (WAL switch, migrations) may wait for other processes; nothing is served yet. */
const OPEN_BUSY_TIMEOUT_MS = 30_000;

function sqliteConnection(path: string, relaxed: boolean): BetterSqlite3.Database {
  const db = new BetterSqlite3(path, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
    db.pragma("journal_mode = WAL");
    // An acknowledged write survives power loss, not only a crash (unless relaxed, see Database.open).
    db.pragma(relaxed ? "synchronous = NORMAL" : "synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma(`cache_size = -${CACHE_KIB}`);
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * SQLite in WAL mode, two connections (autocommit and transactions, see
 * sqlite-dialect.ts). SQLite never waits for a lock itself (`busy_timeout =
 * 0` once the connection is set up): the driver retries off the event loop,
 * up to 30 s while migrating (nothing is served yet, and other servers may be
 * migrating the same file), then up to the configured lock timeout.
 */
async function openSqlite(
  path: string,
  config: { dataDir: string | undefined; lockTimeoutMs: number; relaxed: boolean; migrate: boolean },
): Promise<Database> {
  if (config.dataDir !== undefined) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    // The database holds password hashes: create it private before SQLite does.
    closeSync(openSync(path, "a", 0o600));
  }
  const connections: BetterSqlite3.Database[] = [];
  try {
    connections.push(sqliteConnection(path, config.relaxed), sqliteConnection(path, config.relaxed));
  } catch (error) {
    for (const connection of connections) connection.close();
    throw error;
  }
  const [database, transactionDatabase] = connections as [BetterSqlite3.Database, BetterSqlite3.Database];
  for (const connection of connections) connection.pragma("busy_timeout = 0");
  const dialect = new AuthctlSqliteDialect({ database, transactionDatabase, lockTimeoutMs: OPEN_BUSY_TIMEOUT_MS });
  const db = new Kysely<Schema>({ dialect });
  const driver: AuthctlSqliteDriver = dialect.driver;
  const opened = new Database(
    db,
    "sqlite",
    path,
    (timeoutMs) => driver.probeWrite(timeoutMs),
    translateSqliteError,
    (text, parameters) => driver.firstRow(text, parameters),
    () => driver.changeMark(),
  );
  try {
    if (config.migrate) await migrate(db, "sqlite");
  } catch (error) {
    await db.destroy();
    throw error;
  }
  driver.setLockTimeout(config.lockTimeoutMs);
  return opened;
}

async function openPostgres(url: string, config: DatabaseConfig): Promise<Database> {
  const statementTimeoutMs = config.pgStatementTimeoutMs;
  const poolOptions = {
    connectionString: url,
    connectionTimeoutMillis: config.pgConnectTimeoutMs,
    application_name: "authctl",
  };
  const translate = (error: unknown) => translatePgError(error, statementTimeoutMs);
  // Migrations wait for another instance's under an advisory lock: no statement timeout there.
  const migrating = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: quietPool({ ...poolOptions, max: 1 }) }) });
  try {
    await migrate(migrating, "postgres");
  } catch (error) {
    throw translate(error);
  } finally {
    await migrating.destroy();
  }
  const pool = quietPool({ ...poolOptions, max: config.pgPoolSize, statement_timeout: statementTimeoutMs });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const probe = (timeoutMs: number) => withDeadline(postgresWriteProbe(db, timeoutMs), timeoutMs, POOL_BUSY);
  return new Database(db, "postgres", redactUrl(url), probe, translate);
}

/**
 * Could a request write now? In one transaction rolled back at once: the
 * server is not a read-only standby, and the tables a request writes can be
 * locked for writing within `timeoutMs` (an administrator's `LOCK TABLE`, a
 * long migration or `VACUUM FULL` would make every request wait, then 503).
 */
async function postgresWriteProbe(db: Kysely<Schema>, timeoutMs: number): Promise<void> {
  await db
    .transaction()
    .execute(async (trx) => {
      const { rows } = await sql<{ readOnly: string }>`SELECT current_setting('transaction_read_only') AS "readOnly"`.execute(trx);
      if (rows[0]?.readOnly === "on") throw new Error("the database is read-only (a standby?)");
      // Within the probe's bound, so that a lock is reported as a lock, not as a slow pool.
      await sql`SELECT set_config('lock_timeout', ${`${Math.ceil(timeoutMs / 2)}ms`}, true)`.execute(trx);
      await sql`LOCK TABLE users, tokens IN ROW EXCLUSIVE MODE`.execute(trx);
      // Rolled back, not committed: the probe changes nothing.
      throw ROLLBACK;
    })
    .catch((error: unknown) => {
      if (error !== ROLLBACK) throw error;
    });
}

const ROLLBACK = new Error("rollback");
const POOL_BUSY = "every database connection is busy: requests wait for one, then answer 503";

/** `work`, or StoreBusy once `timeoutMs` has passed (it goes on in the background, and its result is dropped). */
async function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new StoreBusy(timeoutMs, what));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}

/** An idle connection that dies is dropped by the pool; the next query reports the outage. */
function quietPool(options: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(options);
  pool.on("error", () => undefined);
  return pool;
}

/**
 * Brings the schema up to date. The usual case, every step applied, is
 * answered by one read with no lock, so many servers starting at once do not
 * queue for the migration lock only to find nothing to do.
 */
async function migrate(db: Kysely<Schema>, dialect: DialectName): Promise<void> {
  const known = Object.keys(migrations(dialect));
  const applied = await sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATION_TABLE)}`.execute(db).then(
    ({ rows }) => new Set(rows.map((row) => row.name)),
    () => new Set<string>(),
  );
  if (applied.size === known.length && known.every((name) => applied.has(name))) return;
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialect),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const unknown = error instanceof Error ? /previously executed migration (\S+) is missing/.exec(error.message)?.[1] : undefined;
  if (unknown !== undefined) {
    throw new Error(
      `the database has schema step ${unknown}, newer than this server: upgrade the server (${dialect === "sqlite" ? "or restore a backup made before the upgrade" : "every instance"})`,
    );
  }
  const failed = results?.find((result) => result.status === "Error")?.migrationName;
  if (error instanceof Error && failed !== undefined) error.message = `migration ${failed} failed: ${error.message}`;
  throw error instanceof Error ? error : new Error("the migration failed", { cause: error });
}

function translateSqliteError(error: unknown): unknown {
  const { code, message } = error as { code?: string; message?: string };
  if (code !== "SQLITE_CONSTRAINT_UNIQUE") return error;
  if (message?.includes("users.username")) return new UniqueViolation("username");
  if (message?.includes("users.email")) return new UniqueViolation("email");
  return error;
}
