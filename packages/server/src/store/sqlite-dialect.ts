import { setTimeout as sleep } from "node:timers/promises";
import type BetterSqlite3 from "better-sqlite3";
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from "kysely";
import { StoreBusy } from "./store.js";

/**
 * Kysely's SQLite dialect, reworked for a server that several processes share:
 *
 * - **Locks never block the event loop.** Connections run with
 *   `busy_timeout = 0`; a statement that meets another process's lock is
 *   retried here, asynchronously, with jittered backoff, for at most
 *   `lockTimeoutMs`, then StoreBusy (503).
 * - **Reads never wait behind a transaction.** Single statements run on one
 *   connection in autocommit; transactions run on a second connection, one at
 *   a time (`BEGIN IMMEDIATE`, so a writing transaction takes the write lock
 *   up front and cannot fail half-way on an upgrade). A statement can thus
 *   never slip into another request's open transaction.
 * - **Statements are prepared once** per connection (a bounded cache), and
 *   booleans are bound as 0/1, which better-sqlite3 requires.
 * - A read-only transaction (`setAccessMode('read only')`) is a deferred
 *   `BEGIN`: one consistent snapshot for everything read in it.
 * - Migrations run inside one transaction: SQLite's write lock is the
 *   migration lock, so servers starting at once apply each step once.
 */
export interface SqliteDialectOptions {
  /** Autocommit statements. */
  database: BetterSqlite3.Database;
  /** Transactions; the same file opened a second time. */
  transactionDatabase: BetterSqlite3.Database;
  lockTimeoutMs: number;
}

export class AuthctlSqliteDialect implements Dialect {
  readonly driver: AuthctlSqliteDriver;

  constructor(options: SqliteDialectOptions) {
    this.driver = new AuthctlSqliteDriver(options);
  }

  createDriver(): Driver {
    return this.driver;
  }

  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }

  createAdapter() {
    return new TransactionalDdlSqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}

/** SQLite runs DDL inside transactions; Kysely's adapter says it does not only to stay out of the user's way. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Statements kept prepared per connection; the queries are a fixed set, this only bounds the unexpected. */
const STATEMENT_CACHE = 200;

class Connection implements DatabaseConnection {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    readonly db: BetterSqlite3.Database,
    private readonly driver: AuthctlSqliteDriver,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.prepare(query.sql);
    const parameters = query.parameters.map(bindable);
    return this.driver.retryWhileBusy(() => {
      try {
        if (statement.reader) return { rows: statement.all(parameters) as R[] };
        const { changes, lastInsertRowid } = statement.run(parameters);
        return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
      } finally {
        // `readonly`, not `reader`: an INSERT … RETURNING reads and writes.
        if (!statement.readonly) this.driver.noteWrite();
      }
    });
  }

  firstRow<R>(sql: string, parameters: readonly unknown[]): Promise<R | undefined> {
    return this.driver.retryWhileBusy(() => this.prepare(sql).get(parameters.map(bindable)) as R | undefined);
  }

  // eslint-disable-next-line require-yield -- the interface requires a generator; nothing here streams.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    await Promise.resolve();
    throw new Error("streaming is not used with SQLite: page with LIMIT instead");
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

export class AuthctlSqliteDriver implements Driver {
  private readonly autocommit: Connection;
  private readonly transactional: Connection;
  private lockTimeoutMs: number;
  /** See changeMark. */
  private epoch = 0;
  private dataVersion: unknown;
  private readonly dataVersionStatement: BetterSqlite3.Statement;
  /** Chains transactions: the second connection serves one at a time. */
  private transactionQueue: Promise<void> = Promise.resolve();
  private releaseTransaction: (() => void) | undefined;

  constructor(options: SqliteDialectOptions) {
    this.autocommit = new Connection(options.database, this);
    this.transactional = new Connection(options.transactionDatabase, this);
    this.lockTimeoutMs = options.lockTimeoutMs;
    this.dataVersionStatement = options.database.prepare("PRAGMA data_version").pluck();
  }

  /**
   * A number that moves whenever the database may have changed since it last
   * answered: SQLite's `PRAGMA data_version` on the autocommit connection
   * moves at every commit of any other connection (this process's transaction
   * connection, other handles, other processes), and `noteWrite` counts this
   * process's own writes. Undefined when it cannot be read now (a lock held
   * during recovery): the caller then reads the database itself.
   */
  changeMark(): number | undefined {
    let version: unknown;
    try {
      version = this.dataVersionStatement.get();
    } catch {
      return undefined;
    }
    if (version !== this.dataVersion) {
      this.dataVersion = version;
      this.epoch++;
    }
    return this.epoch;
  }

  noteWrite(): void {
    this.epoch++;
  }

  async init(): Promise<void> {}

  /** How long statements wait for other processes' locks from now on (opening waits longer than a request). */
  setLockTimeout(ms: number): void {
    this.lockTimeoutMs = ms;
  }

  /**
   * Kysely asks for a connection before it knows whether a transaction
   * follows; autocommit is the answer until `beginTransaction` swaps in the
   * transaction connection for that session.
   */
  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(new Session(this.autocommit));
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const session = asSession(connection);
    const previous = this.transactionQueue;
    let release!: () => void;
    this.transactionQueue = new Promise((resolve) => (release = resolve));
    await previous;
    this.releaseTransaction = release;
    session.use(this.transactional);
    try {
      await session.executeQuery(CompiledQuery.raw(settings.accessMode === "read only" ? "BEGIN" : "BEGIN IMMEDIATE"));
    } catch (error) {
      this.endTransaction(session);
      throw error;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const session = asSession(connection);
    try {
      await session.executeQuery(CompiledQuery.raw("COMMIT"));
    } catch (error) {
      // A COMMIT that failed leaves the transaction open: undo it so the connection is clean for the next one.
      if (this.transactional.db.inTransaction) this.transactional.db.exec("ROLLBACK");
      throw error;
    } finally {
      this.endTransaction(session);
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const session = asSession(connection);
    try {
      if (this.transactional.db.inTransaction) await session.executeQuery(CompiledQuery.raw("ROLLBACK"));
    } finally {
      this.endTransaction(session);
    }
  }

  async releaseConnection(): Promise<void> {}

  destroy(): Promise<void> {
    for (const connection of [this.autocommit, this.transactional]) {
      if (connection.db.open) connection.db.close();
    }
    return Promise.resolve();
  }

  /**
   * Runs one statement in autocommit, skipping Kysely's executor: the request
   * path's hot reads. Safe because the autocommit connection never holds an
   * open transaction across an await.
   */
  firstRow<R>(sqlText: string, parameters: readonly unknown[]): Promise<R | undefined> {
    return this.autocommit.firstRow<R>(sqlText, parameters);
  }

  /**
   * Whether a write could start now: takes the write lock and lets go,
   * waiting at most `timeoutMs` (health checks answer fast).
   */
  async probeWrite(timeoutMs: number): Promise<void> {
    await this.retryWhileBusy(() => {
      this.autocommit.db.exec("BEGIN IMMEDIATE");
      this.autocommit.db.exec("ROLLBACK");
    }, timeoutMs);
  }

  /**
   * Runs a synchronous better-sqlite3 `operation`, retrying with jittered
   * backoff off the event loop while another process holds a lock; StoreBusy
   * after `timeoutMs`.
   */
  retryWhileBusy<T>(operation: () => T, timeoutMs = this.lockTimeoutMs): Promise<T> {
    // The first try without an async frame: it is the only one almost always.
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return this.retryAfterFailure(operation, timeoutMs, error);
    }
  }

  private async retryAfterFailure<T>(operation: () => T, timeoutMs: number, firstFailure: unknown): Promise<T> {
    const started = Date.now();
    let failure = firstFailure;
    for (let attempt = 0; ; attempt++) {
      if (!isBusy(failure)) throw failure;
      const waited = Date.now() - started;
      if (waited >= timeoutMs) throw new StoreBusy(waited);
      const backoff = Math.min(100, 2 ** attempt) * (0.5 + Math.random());
      await sleep(Math.min(backoff, timeoutMs - waited));
      try {
        return operation();
      } catch (error) {
        failure = error;
      }
    }
  }

  private endTransaction(session: Session): void {
    session.use(this.autocommit);
    const release = this.releaseTransaction;
    this.releaseTransaction = undefined;
    release?.();
  }
}

/** What Kysely holds as "a connection": autocommit, or the transaction connection while a transaction is open. */
class Session implements DatabaseConnection {
  constructor(private connection: Connection) {}

  use(connection: Connection): void {
    this.connection = connection;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.connection.executeQuery<R>(query);
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    return this.connection.streamQuery<R>();
  }
}

function asSession(connection: DatabaseConnection): Session {
  if (connection instanceof Session) return connection;
  throw new Error("not a connection of this driver");
}

function bindable(value: unknown): unknown {
  return typeof value === "boolean" ? Number(value) : value;
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}
