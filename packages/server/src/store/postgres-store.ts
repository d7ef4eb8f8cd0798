import pg from "pg";
import type { SealedToken } from "../auth/tokens.js";
import type { ThrottleState } from "../throttle/throttle-state.js";
import { translatePgError } from "./postgres-errors.js";
import { migratePostgres } from "./postgres-migrations.js";
import { PostgresThrottleState } from "./postgres-throttle-state.js";
import type { NewUser, Store, UserRecord } from "./store.js";
import { KEY_FINGERPRINT, USER_COLUMNS, userFromRow, type UserRow } from "./columns.js";

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database`; never logged as given. */
  url: string;
  /** Connections each instance keeps at most. */
  poolSize?: number;
  /** A statement running longer is cancelled and the request answers 503. */
  statementTimeoutMs?: number;
  /** How long a request waits for a connection before 503. */
  connectTimeoutMs?: number;
}

export const PG_DEFAULTS = { poolSize: 10, statementTimeoutMs: 5000, connectTimeoutMs: 5000 } as const;



/**
 * The store for several instances: one PostgreSQL database through a pool.
 * Uniqueness is the database's (a username index in the "C" collation, an
 * email index on its ASCII-folded form), every multi-step change is one
 * transaction, and connection failures surface as StoreUnavailable.
 */
export class PostgresStore implements Store {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly statementTimeoutMs: number,
  ) {}

  /** Connects and migrates (under an advisory lock); throws StoreUnavailable when the database cannot be reached. */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    const statementTimeoutMs = options.statementTimeoutMs ?? PG_DEFAULTS.statementTimeoutMs;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? PG_DEFAULTS.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? PG_DEFAULTS.connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      application_name: "authctl",
    });
    // An idle connection that dies is dropped by the pool; the next query reports the outage.
    pool.on("error", () => undefined);
    const store = new PostgresStore(pool, statementTimeoutMs);
    try {
      await store.withClient(async (client) => {
        // Waiting for another instance's migration is not a slow statement.
        await client.query("SET statement_timeout = 0");
        await migratePostgres(client);
        await client.query("RESET statement_timeout");
      });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  /** Throttle history in this database, shared by every instance on it. */
  throttleState(): ThrottleState {
    return new PostgresThrottleState((text, values) => this.query(text, values), (work) => this.transaction((client) => work((text, values) => client.query(text, values))));
  }

  async usernameTaken(username: string): Promise<boolean> {
    return (await this.query("SELECT 1 FROM users WHERE username = $1", [username])).rowCount === 1;
  }

  async emailTaken(email: string): Promise<boolean> {
    const result = await this.query("SELECT 1 FROM users WHERE authctl_ascii_lower(email) = authctl_ascii_lower($1)", [email]);
    return result.rowCount === 1;
  }

  createUser(user: NewUser, token: SealedToken): Promise<UserRecord> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ id: number; date_joined: Date }>(
        "INSERT INTO users (username, email, password, date_joined) VALUES ($1, $2, $3, now()) RETURNING id, date_joined",
        [user.username, user.email, user.passwordHash],
      );
      const row = rows[0];
      if (!row) throw new Error("INSERT … RETURNING returned no row");
      await client.query("INSERT INTO tokens (user_id, digest, sealed, created) VALUES ($1, $2, $3, now())", [row.id, token.digest, token.sealed]);
      return { id: row.id, ...user, isActive: true, isStaff: false, isSuperuser: false, dateJoined: row.date_joined.toISOString() };
    });
  }

  async findUserByUsername(username: string): Promise<UserRecord | undefined> {
    return userFromRow((await this.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.username = $1`, [username])).rows[0]);
  }

  async findUserByTokenDigest(digest: string): Promise<UserRecord | undefined> {
    const sql = `SELECT ${USER_COLUMNS} FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = $1`;
    return userFromRow((await this.query<UserRow>(sql, [digest])).rows[0]);
  }

  async getOrCreateToken(userId: number, create: () => SealedToken): Promise<SealedToken> {
    const existing = await this.tokenOf(userId);
    if (existing) return existing;
    const candidate = create();
    await this.query(
      "INSERT INTO tokens (user_id, digest, sealed, created) VALUES ($1, $2, $3, now()) ON CONFLICT (user_id) DO NOTHING",
      [userId, candidate.digest, candidate.sealed],
    );
    const stored = await this.tokenOf(userId);
    if (!stored) throw new Error(`user ${userId} has no token after creating one`);
    return stored;
  }

  async replaceToken(userId: number, digest: string, next: SealedToken): Promise<boolean> {
    const result = await this.query("UPDATE tokens SET digest = $1, sealed = $2 WHERE user_id = $3 AND digest = $4", [
      next.digest,
      next.sealed,
      userId,
      digest,
    ]);
    return result.rowCount === 1;
  }

  async deleteToken(userId: number): Promise<void> {
    await this.query("DELETE FROM tokens WHERE user_id = $1", [userId]);
  }

  async countTokens(): Promise<number> {
    return (await this.query<{ count: number }>("SELECT count(*)::integer AS count FROM tokens")).rows[0]?.count ?? 0;
  }

  async sampleToken(): Promise<SealedToken | undefined> {
    return (await this.query<SealedToken>("SELECT digest, sealed FROM tokens LIMIT 1")).rows[0];
  }

  revokeAllTokens(keyFingerprint: string): Promise<number> {
    return this.transaction(async (client) => {
      const { rowCount } = await client.query("DELETE FROM tokens");
      await client.query(
        "INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [KEY_FINGERPRINT, keyFingerprint],
      );
      return rowCount ?? 0;
    });
  }

  async keyFingerprint(): Promise<string | undefined> {
    return (await this.query<{ value: string }>("SELECT value FROM meta WHERE name = $1", [KEY_FINGERPRINT])).rows[0]?.value;
  }

  async claimKeyFingerprint(fingerprint: string): Promise<string> {
    await this.query("INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [KEY_FINGERPRINT, fingerprint]);
    return (await this.keyFingerprint()) ?? fingerprint;
  }

  async setPasswordHash(userId: number, passwordHash: string): Promise<void> {
    await this.query("UPDATE users SET password = $1 WHERE id = $2", [passwordHash, userId]);
  }

  async ping(): Promise<void> {
    await this.query("SELECT 1");
  }

  async checkWritable(): Promise<void> {
    const { rows } = await this.query<{ readOnly: string }>(`SELECT current_setting('transaction_read_only') AS "readOnly"`);
    if (rows[0]?.readOnly === "on") throw new Error("the database is read-only (a standby?)");
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  /** One statement on any pooled connection; failures come back as the store's typed errors. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw translatePgError(error, this.statementTimeoutMs);
    }
  }

  /** Runs `work` inside BEGIN … COMMIT on one connection, rolled back if it throws. */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query("BEGIN");
      try {
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  private async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translatePgError(error, this.statementTimeoutMs);
    }
    let broken: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      const translated = translatePgError(error, this.statementTimeoutMs);
      if (translated instanceof Error && translated.name === "StoreUnavailable") broken = translated;
      throw translated;
    } finally {
      // A connection that failed is destroyed, not handed to the next request.
      client.release(broken);
    }
  }

  private async tokenOf(userId: number): Promise<SealedToken | undefined> {
    return (await this.query<SealedToken>("SELECT digest, sealed FROM tokens WHERE user_id = $1", [userId])).rows[0];
  }
}

