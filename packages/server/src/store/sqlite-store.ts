import Database from "better-sqlite3";
import type { SealedToken } from "../auth/tokens.js";
import { migrate } from "./migrations.js";
import { retryWhileBusy } from "./sqlite-busy.js";
import { UniqueViolation, type NewUser, type Store, type UserRecord } from "./store.js";
import { KEY_FINGERPRINT, USER_COLUMNS, userFromRow, type UserRow } from "./columns.js";

export const DATABASE_FILE = "authctl.sqlite3";

export interface SqliteOptions {
  /** How long an operation keeps retrying while another process holds a lock, before StoreBusy. */
  lockTimeoutMs?: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 5000;
/** /healthz asks whether a write could start now; it must answer fast, so it waits less. */
const HEALTH_LOCK_TIMEOUT_MS = 250;
/** How long opening (WAL switch, migrations) may wait for other processes; nothing is served yet. */
const OPEN_BUSY_TIMEOUT_MS = 30_000;

/**
 * Sized for millions of users (1 000 000 take about 375 MB): reads go through
 * a memory map of up to 1 GiB, which the OS page cache shares between every
 * worker process, and each connection keeps up to 64 MiB of pages itself
 * (SQLite's default is 2 MB, which made lookups in a big file hit the disk).
 */
const CACHE_KIB = 64 * 1024;
const MMAP_BYTES = 1024 * 1024 * 1024;



/**
 * The embedded default store: one SQLite file in WAL mode, all SQL prepared
 * once. better-sqlite3 is synchronous, so SQLite's own busy wait would freeze
 * the event loop while another process holds a lock: instead every operation
 * fails fast on a lock and is retried here, asynchronously, with backoff, up to
 * `lockTimeoutMs`. Commits use `synchronous = FULL`: an acknowledged write
 * survives power loss, not only a crash.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly transactions;
  private readonly lockTimeoutMs: number;

  constructor(
    readonly path: string,
    options: SqliteOptions = {},
  ) {
    this.lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.db = new Database(path);
    try {
      this.db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      this.db.pragma("foreign_keys = ON");
      this.db.pragma(`cache_size = -${CACHE_KIB}`);
      this.db.pragma(`mmap_size = ${MMAP_BYTES}`);
      migrate(this.db);
      this.db.pragma("busy_timeout = 0");
      this.statements = prepare(this.db);
      this.transactions = transactions(this.db, this.statements);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  usernameTaken(username: string): Promise<boolean> {
    return this.run(() => this.statements.usernameTaken.get(username) !== undefined);
  }

  emailTaken(email: string): Promise<boolean> {
    return this.run(() => this.statements.emailTaken.get(email) !== undefined);
  }

  async createUser(user: NewUser, token: SealedToken): Promise<UserRecord> {
    const now = new Date().toISOString();
    try {
      const id = await this.run(() => this.transactions.createUser.immediate(user, token, now));
      return { id, ...user, isActive: true, isStaff: false, isSuperuser: false, dateJoined: now };
    } catch (error) {
      throw asUniqueViolation(error);
    }
  }

  findUserByUsername(username: string): Promise<UserRecord | undefined> {
    return this.run(() => userFromRow(this.statements.userByUsername.get(username) as UserRow | undefined));
  }

  findUserByTokenDigest(digest: string): Promise<UserRecord | undefined> {
    return this.run(() => userFromRow(this.statements.userByTokenDigest.get(digest) as UserRow | undefined));
  }

  async getOrCreateToken(userId: number, create: () => SealedToken): Promise<SealedToken> {
    const existing = await this.run(() => this.statements.tokenOf.get(userId) as SealedToken | undefined);
    if (existing) return existing;
    const candidate = create();
    return this.run(() => {
      this.statements.insertTokenIfNone.run(userId, candidate.digest, candidate.sealed, new Date().toISOString());
      return this.statements.tokenOf.get(userId) as SealedToken;
    });
  }

  replaceToken(userId: number, digest: string, next: SealedToken): Promise<boolean> {
    return this.run(() => this.statements.replaceToken.run(next.digest, next.sealed, userId, digest).changes === 1);
  }

  async deleteToken(userId: number): Promise<void> {
    await this.run(() => this.statements.deleteToken.run(userId));
  }

  countTokens(): Promise<number> {
    return this.run(() => (this.statements.countTokens.get() as { count: number }).count);
  }

  sampleToken(): Promise<SealedToken | undefined> {
    return this.run(() => this.statements.sampleToken.get() as SealedToken | undefined);
  }

  revokeAllTokens(keyFingerprint: string): Promise<number> {
    return this.run(() => this.transactions.revokeAllTokens.immediate(keyFingerprint));
  }

  keyFingerprint(): Promise<string | undefined> {
    return this.run(() => (this.statements.getMeta.get(KEY_FINGERPRINT) as { value: string } | undefined)?.value);
  }

  async claimKeyFingerprint(fingerprint: string): Promise<string> {
    await this.run(() => this.statements.insertMetaIfNone.run(KEY_FINGERPRINT, fingerprint));
    return (await this.keyFingerprint()) ?? fingerprint;
  }

  setPasswordHash(userId: number, passwordHash: string): Promise<void> {
    return this.run(() => {
      this.statements.setPassword.run(passwordHash, userId);
    });
  }

  async ping(): Promise<void> {
    await this.run(() => this.statements.ping.get());
  }

  async checkWritable(): Promise<void> {
    await this.run(() => { this.transactions.probe.immediate(); }, HEALTH_LOCK_TIMEOUT_MS);
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }

  /** Runs `operation`, retrying while another process holds a lock (sqlite-busy.ts). */
  private run<T>(operation: () => T, timeoutMs = this.lockTimeoutMs): Promise<T> {
    return retryWhileBusy(operation, timeoutMs);
  }
}

/** The multi-statement writes, each wrapped once (better-sqlite3 builds a wrapper per `transaction()` call). */
function transactions(db: Database.Database, statements: ReturnType<typeof prepare>) {
  return {
    createUser: db.transaction((user: NewUser, token: SealedToken, now: string) => {
      const { lastInsertRowid } = statements.insertUser.run(user.username, user.email, user.passwordHash, now);
      statements.insertToken.run(lastInsertRowid, token.digest, token.sealed, now);
      return Number(lastInsertRowid);
    }),
    revokeAllTokens: db.transaction((keyFingerprint: string) => {
      const { changes } = statements.deleteAllTokens.run();
      statements.setMeta.run(KEY_FINGERPRINT, keyFingerprint);
      return changes;
    }),
    /** Takes the write lock and lets go: could a write start now? */
    probe: db.transaction(() => undefined),
  };
}

function prepare(db: Database.Database) {
  return {
    usernameTaken: db.prepare("SELECT 1 FROM users WHERE username = ?"),
    emailTaken: db.prepare("SELECT 1 FROM users WHERE email = ? COLLATE NOCASE"),
    insertUser: db.prepare(
      "INSERT INTO users (username, email, password, is_active, is_staff, is_superuser, date_joined) VALUES (?, ?, ?, 1, 0, 0, ?)",
    ),
    insertToken: db.prepare("INSERT INTO tokens (user_id, digest, sealed, created) VALUES (?, ?, ?, ?)"),
    insertTokenIfNone: db.prepare(
      "INSERT INTO tokens (user_id, digest, sealed, created) VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
    ),
    tokenOf: db.prepare("SELECT digest, sealed FROM tokens WHERE user_id = ?"),
    replaceToken: db.prepare("UPDATE tokens SET digest = ?, sealed = ? WHERE user_id = ? AND digest = ?"),
    deleteToken: db.prepare("DELETE FROM tokens WHERE user_id = ?"),
    countTokens: db.prepare("SELECT count(*) AS count FROM tokens"),
    deleteAllTokens: db.prepare("DELETE FROM tokens"),
    sampleToken: db.prepare("SELECT digest, sealed FROM tokens LIMIT 1"),
    getMeta: db.prepare("SELECT value FROM meta WHERE name = ?"),
    setMeta: db.prepare("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
    insertMetaIfNone: db.prepare("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"),
    userByUsername: db.prepare(`SELECT ${USER_COLUMNS} FROM users u WHERE u.username = ?`),
    userByTokenDigest: db.prepare(`SELECT ${USER_COLUMNS} FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = ?`),
    setPassword: db.prepare("UPDATE users SET password = ? WHERE id = ?"),
    ping: db.prepare("SELECT 1"),
  };
}


function asUniqueViolation(error: unknown): unknown {
  const { code, message } = error as { code?: string; message?: string };
  if (code !== "SQLITE_CONSTRAINT_UNIQUE") return error;
  if (message?.includes("users.username")) return new UniqueViolation("username");
  if (message?.includes("users.email")) return new UniqueViolation("email");
  return error;
}
