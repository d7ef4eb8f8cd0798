import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import pg from "pg";
import type { TokenVault } from "../auth/tokens.js";
import type { ServerConfig } from "../config.js";
import type { Conn } from "../store/database.js";
import { insertToken, insertUser, tokenDigestTaken, tokenOfUser, userByEmail, userByUsername, type AdminUser } from "../store/queries.js";
import { isPostgresUrl } from "../store/open-store.js";
import { redactUrl } from "../store/postgres-errors.js";
import { AdminError } from "./admin-error.js";
import { screenDjangoUsers } from "./import-limits.js";
import type { AdminTarget } from "./open-admin.js";
import { sqlitePath } from "./open-admin.js";

/** One row of Django's auth_user with its authtoken_token key, if any. */
export interface DjangoUser extends AdminUser {
  token: string | undefined;
}

export interface ImportSummary {
  source: string;
  target: string;
  users: { read: number; imported: number; alreadyThere: number; skipped: number };
  tokens: { imported: number; alreadyThere: number };
  skipped: { username: string; reason: string }[];
  changed: boolean;
}

const QUERY = `SELECT u.username, u.email, u.password, u.is_active, u.is_staff, u.is_superuser, u.date_joined, u.first_name, u.last_name, u.last_login, t.key AS token
  FROM auth_user u LEFT JOIN authtoken_token t ON t.user_id = u.id ORDER BY u.id`;
const QUERY_WITHOUT_TOKENS = `SELECT u.username, u.email, u.password, u.is_active, u.is_staff, u.is_superuser, u.date_joined, u.first_name, u.last_name, u.last_login, NULL AS token
  FROM auth_user u ORDER BY u.id`;

/** Reads auth_user (and authtoken_token, when DRF's authtoken app is installed) from a Django database, waiting for PostgreSQL as long as the settings say. */
export async function readDjangoUsers(from: string, config: Pick<ServerConfig, "pgConnectTimeoutMs">): Promise<DjangoUser[]> {
  if (isPostgresUrl(from)) return readFromPostgres(from, config.pgConnectTimeoutMs);
  const path = sqlitePath(from);
  if (!existsSync(path)) throw new AdminError(`${path} does not exist`, "usage");
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const tables = new Set(
      db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((row) => row.name),
    );
    if (!tables.has("auth_user")) throw new AdminError(`${path} has no auth_user table: is it a Django database?`, "usage");
    return db
      .prepare(tables.has("authtoken_token") ? QUERY : QUERY_WITHOUT_TOKENS)
      .all()
      .map((row) => toDjangoUser(row as Record<string, unknown>));
  } finally {
    db.close();
  }
}

async function readFromPostgres(url: string, connectTimeoutMs: number): Promise<DjangoUser[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  try {
    await client.connect();
  } catch (error) {
    throw new AdminError(`cannot connect to ${redactUrl(url)}: ${(error as Error).message}`);
  }
  try {
    const { rows } = await client.query<{ name: string | null }>("SELECT to_regclass('authtoken_token')::text AS name");
    const { rows: users } = await client.query(rows[0]?.name ? QUERY : QUERY_WITHOUT_TOKENS);
    return users.map((row) => toDjangoUser(row as Record<string, unknown>));
  } finally {
    await client.end();
  }
}

function toDjangoUser(row: Record<string, unknown>): DjangoUser {
  const flag = (value: unknown) => value === true || value === 1;
  return {
    username: String(row.username),
    email: typeof row.email === "string" ? row.email : "",
    passwordHash: String(row.password),
    isActive: flag(row.is_active),
    isStaff: flag(row.is_staff),
    isSuperuser: flag(row.is_superuser),
    dateJoined: djangoTime(row.date_joined),
    firstName: typeof row.first_name === "string" ? row.first_name : "",
    lastName: typeof row.last_name === "string" ? row.last_name : "",
    lastLogin: row.last_login === null || row.last_login === undefined ? null : djangoTime(row.last_login),
    token: typeof row.token === "string" ? row.token : undefined,
  };
}

/** Django on SQLite writes "2024-05-01 12:00:00.123456" in UTC (USE_TZ) or local time; PostgreSQL gives a Date. */
function djangoTime(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value).replace(" ", "T");
  const parsed = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(parsed.getTime()) ? new Date().toISOString() : parsed.toISOString();
}

/**
 * Copies Django's users and tokens into the target in one transaction. A row
 * beyond the import's limits (import-limits.ts) is skipped with the reason. A user
 * already here with the same email is left as it is (so a second run changes
 * nothing); a username here with another email, or an email that belongs to
 * another user here, is skipped with the reason. Tokens keep their value,
 * sealed under the server key like every token this server makes.
 */
export async function importDjango(target: AdminTarget, from: string, vault: TokenVault): Promise<ImportSummary> {
  const read = await readDjangoUsers(from, target.config);
  const { users, refused } = screenDjangoUsers(read);
  const summary: ImportSummary = {
    source: isPostgresUrl(from) ? redactUrl(from) : sqlitePath(from),
    target: target.name,
    users: { read: read.length, imported: 0, alreadyThere: 0, skipped: 0 },
    tokens: { imported: 0, alreadyThere: 0 },
    skipped: [],
    changed: false,
  };
  const skip = (username: string, reason: string) => {
    summary.users.skipped += 1;
    summary.skipped.push({ username, reason });
  };
  for (const { username, reason } of refused) skip(username, reason);
  await target.db.transaction(async (tx) => {
    for (const user of users) {
      const existing = await userByUsername(tx, user.username);
      if (existing) {
        if (foldAscii(existing.email) !== foldAscii(user.email)) {
          skip(user.username, `a user ${user.username} exists here with another email`);
          continue;
        }
        summary.users.alreadyThere += 1;
        await importToken(tx, existing.id, user, vault, summary);
        continue;
      }
      const owner = await userByEmail(tx, user.email);
      if (owner) {
        skip(
          user.username,
          user.email === "" ? `no email, and ${owner.username} here has none either` : `its email belongs to ${owner.username} here`,
        );
        continue;
      }
      const id = await insertUser(tx, user);
      summary.users.imported += 1;
      await importToken(tx, id, user, vault, summary);
    }
  });
  summary.changed = summary.users.imported + summary.tokens.imported > 0;
  return summary;
}

async function importToken(tx: Conn, userId: number, user: DjangoUser, vault: TokenVault, summary: ImportSummary): Promise<void> {
  if (user.token === undefined) return;
  const digest = vault.digest(user.token);
  const current = await tokenOfUser(tx, userId);
  if (current?.digest === digest) {
    summary.tokens.alreadyThere += 1;
    return;
  }
  if (current) {
    summary.skipped.push({ username: user.username, reason: "kept the token it already has here (its Django token was not imported)" });
    return;
  }
  if (await tokenDigestTaken(tx, digest)) {
    summary.skipped.push({ username: user.username, reason: "its Django token is another user's token here (not imported)" });
    return;
  }
  await insertToken(
    tx,
    userId,
    { sealed: vault.seal(user.token), created: new Date().toISOString(), expiry: null, name: "" },
    { perUser: true },
  );
  summary.tokens.imported += 1;
}

function foldAscii(email: string): string {
  return email.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}
