import Database from "better-sqlite3";
import type { SealedToken } from "../auth/tokens.js";
import { migrate } from "./migrations.js";
import { UniqueViolation, type NewUser, type Store, type UserRecord } from "./store.js";

export const DATABASE_FILE = "authctl.sqlite3";

interface UserRow {
  id: number;
  username: string;
  email: string;
  password: string;
  is_active: number;
  is_staff: number;
  is_superuser: number;
  date_joined: string;
}

const USER_COLUMNS = "u.id, u.username, u.email, u.password, u.is_active, u.is_staff, u.is_superuser, u.date_joined";

/** The embedded default store: one SQLite file in WAL mode, all SQL prepared once. */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(readonly path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    migrate(this.db);
    this.statements = prepare(this.db);
  }

  async usernameTaken(username: string): Promise<boolean> {
    return this.statements.usernameTaken.get(username) !== undefined;
  }

  async emailTaken(email: string): Promise<boolean> {
    return this.statements.emailTaken.get(email) !== undefined;
  }

  async createUser(user: NewUser, token: SealedToken): Promise<UserRecord> {
    const now = new Date().toISOString();
    try {
      const id = this.db.transaction(() => {
        const { lastInsertRowid } = this.statements.insertUser.run(user.username, user.email, user.passwordHash, now);
        this.statements.insertToken.run(lastInsertRowid, token.digest, token.sealed, now);
        return Number(lastInsertRowid);
      })();
      return { id, ...user, isActive: true, isStaff: false, isSuperuser: false, dateJoined: now };
    } catch (error) {
      throw asUniqueViolation(error);
    }
  }

  async findUserByUsername(username: string): Promise<UserRecord | undefined> {
    return toUser(this.statements.userByUsername.get(username) as UserRow | undefined);
  }

  async findUserByTokenDigest(digest: string): Promise<UserRecord | undefined> {
    return toUser(this.statements.userByTokenDigest.get(digest) as UserRow | undefined);
  }

  async getOrCreateToken(userId: number, create: () => SealedToken): Promise<SealedToken> {
    const existing = this.statements.tokenOf.get(userId) as SealedToken | undefined;
    if (existing) return existing;
    const candidate = create();
    this.statements.insertTokenIfNone.run(userId, candidate.digest, candidate.sealed, new Date().toISOString());
    return this.statements.tokenOf.get(userId) as SealedToken;
  }

  async deleteToken(userId: number): Promise<void> {
    this.statements.deleteToken.run(userId);
  }

  async setPasswordHash(userId: number, passwordHash: string): Promise<void> {
    this.statements.setPassword.run(passwordHash, userId);
  }

  async ping(): Promise<void> {
    this.statements.ping.get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
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
    deleteToken: db.prepare("DELETE FROM tokens WHERE user_id = ?"),
    userByUsername: db.prepare(`SELECT ${USER_COLUMNS} FROM users u WHERE u.username = ?`),
    userByTokenDigest: db.prepare(`SELECT ${USER_COLUMNS} FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = ?`),
    setPassword: db.prepare("UPDATE users SET password = ? WHERE id = ?"),
    ping: db.prepare("SELECT 1"),
  };
}

function toUser(row: UserRow | undefined): UserRecord | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    passwordHash: row.password,
    isActive: row.is_active === 1,
    isStaff: row.is_staff === 1,
    isSuperuser: row.is_superuser === 1,
    dateJoined: row.date_joined,
  };
}

function asUniqueViolation(error: unknown): unknown {
  const { code, message } = error as { code?: string; message?: string };
  if (code !== "SQLITE_CONSTRAINT_UNIQUE") return error;
  if (message?.includes("users.username")) return new UniqueViolation("username");
  if (message?.includes("users.email")) return new UniqueViolation("email");
  return error;
}
