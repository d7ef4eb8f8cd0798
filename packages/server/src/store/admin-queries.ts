import type { SealedToken } from "../auth/tokens.js";
import type { AdminDb, Row } from "./admin-db.js";
import { KEY_FINGERPRINT, timestamp, USER_COLUMNS, userFromRow, type UserRow } from "./columns.js";
import type { UserRecord } from "./store.js";

/** A user as administration sees and writes it (every column of `users`). */
export type AdminUser = Omit<UserRecord, "id">;

export interface StoredToken extends SealedToken {
  userId: number;
}

/** Admin queries return untyped rows; these are `users` rows. */
const toUser = (row: Row | undefined) => userFromRow(row as UserRow | undefined);

/** Email equality as the unique index sees it: ASCII case folded only. */
function emailEquals(db: AdminDb): string {
  return db.dialect === "sqlite" ? "email = ? COLLATE NOCASE" : "authctl_ascii_lower(email) = authctl_ascii_lower(?)";
}

export async function userByUsername(db: AdminDb, username: string): Promise<UserRecord | undefined> {
  return toUser((await db.all(`SELECT ${USER_COLUMNS} FROM users u WHERE username = ?`, [username]))[0]);
}

export async function userByEmail(db: AdminDb, email: string): Promise<UserRecord | undefined> {
  return toUser((await db.all(`SELECT ${USER_COLUMNS} FROM users u WHERE ${emailEquals(db)}`, [email]))[0]);
}

/** Users in id order, `pageSize` at a time, so a listing never holds the whole table. */
export async function* usersInPages(db: AdminDb, pageSize = 500): AsyncGenerator<UserRecord> {
  let after = 0;
  for (;;) {
    const rows = await db.all(`SELECT ${USER_COLUMNS} FROM users u WHERE id > ? ORDER BY id LIMIT ?`, [after, pageSize]);
    for (const row of rows) {
      const user = toUser(row);
      if (user) yield user;
    }
    const last = toUser(rows[rows.length - 1]);
    if (!last || rows.length < pageSize) return;
    after = last.id;
  }
}

/** Inserts a user as given (with `id` when copying a database); returns its id. */
export async function insertUser(db: AdminDb, user: AdminUser & { id?: number }): Promise<number> {
  const values = [user.username, user.email, user.passwordHash, user.isActive, user.isStaff, user.isSuperuser, user.dateJoined];
  const withId = user.id !== undefined;
  const rows = await db.all(
    `INSERT INTO users (${withId ? "id, " : ""}username, email, password, is_active, is_staff, is_superuser, date_joined)
     VALUES (${withId ? "?, " : ""}?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    withId ? [user.id, ...values] : values,
  );
  return Number(rows[0]?.id);
}

export async function insertToken(db: AdminDb, userId: number, token: SealedToken, created = new Date().toISOString()): Promise<void> {
  await db.run("INSERT INTO tokens (user_id, digest, sealed, created) VALUES (?, ?, ?, ?)", [userId, token.digest, token.sealed, created]);
}

export async function tokenOfUser(db: AdminDb, userId: number): Promise<SealedToken | undefined> {
  const row = (await db.all("SELECT digest, sealed FROM tokens WHERE user_id = ?", [userId]))[0];
  return row ? { digest: String(row.digest), sealed: String(row.sealed) } : undefined;
}

export async function tokenDigestTaken(db: AdminDb, digest: string): Promise<boolean> {
  return (await db.all("SELECT 1 AS found FROM tokens WHERE digest = ?", [digest])).length > 0;
}

export async function allTokens(db: AdminDb): Promise<(StoredToken & { created: string })[]> {
  const rows = await db.all("SELECT user_id, digest, sealed, created FROM tokens ORDER BY user_id");
  return rows.map((row) => ({ userId: Number(row.user_id), digest: String(row.digest), sealed: String(row.sealed), created: timestamp(row.created) }));
}

export async function resealToken(db: AdminDb, userId: number, token: SealedToken): Promise<void> {
  await db.run("UPDATE tokens SET digest = ?, sealed = ? WHERE user_id = ?", [token.digest, token.sealed, userId]);
}

export function setPassword(db: AdminDb, username: string, passwordHash: string): Promise<number> {
  return db.run("UPDATE users SET password = ? WHERE username = ?", [passwordHash, username]);
}

/** Changes `is_active`; the number of rows that changed (0 when it already had that value). */
export function setActive(db: AdminDb, username: string, active: boolean): Promise<number> {
  return db.run("UPDATE users SET is_active = ? WHERE username = ? AND is_active <> ?", [active, username, active]);
}

export function deleteTokensOf(db: AdminDb, userId: number | undefined): Promise<number> {
  return userId === undefined ? db.run("DELETE FROM tokens") : db.run("DELETE FROM tokens WHERE user_id = ?", [userId]);
}

export async function counts(db: AdminDb): Promise<{ users: number; tokens: number }> {
  const rows = await db.all("SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM tokens) AS tokens");
  return { users: Number(rows[0]?.users ?? 0), tokens: Number(rows[0]?.tokens ?? 0) };
}

export async function storedFingerprint(db: AdminDb): Promise<string | undefined> {
  const row = (await db.all("SELECT value FROM meta WHERE name = ?", [KEY_FINGERPRINT]))[0];
  return row ? String(row.value) : undefined;
}

export async function recordFingerprint(db: AdminDb, fingerprint: string): Promise<void> {
  await db.run("DELETE FROM meta WHERE name = ?", [KEY_FINGERPRINT]);
  await db.run("INSERT INTO meta (name, value) VALUES (?, ?)", [KEY_FINGERPRINT, fingerprint]);
}

/** After inserting explicit ids, PostgreSQL's identity must continue past them. */
export async function resetIdSequence(db: AdminDb): Promise<void> {
  if (db.dialect !== "postgres") return;
  await db.all("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM users), false)");
}


