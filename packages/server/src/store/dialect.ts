import { sql, type Expression, type RawBuilder, type SqlBool } from "kysely";
import type { Conn } from "./database.js";

/**
 * Where SQLite and PostgreSQL differ, each difference said once. Everything
 * else (upserts with ON CONFLICT, RETURNING, LIMIT) is the same SQL on both.
 */
export type DialectName = "sqlite" | "postgres";

/**
 * Email equality as the unique index sees it: ASCII letters folded, nothing
 * else — exactly SQLite's NOCASE, and so Django's `email__iexact` there.
 * PostgreSQL's lower() would also fold non-ASCII letters, differently under
 * each locale, hence the SQL function the first migration creates.
 */
export function emailEquals(dialect: DialectName, column: Expression<string>, value: string): RawBuilder<SqlBool> {
  return dialect === "sqlite"
    ? sql<SqlBool>`${column} = ${value} COLLATE NOCASE`
    : sql<SqlBool>`authctl_ascii_lower(${column}) = authctl_ascii_lower(${value})`;
}

/** The expression the unique email index is built on. */
export function emailIndexExpression(dialect: DialectName): RawBuilder<unknown> {
  return dialect === "sqlite" ? sql`email COLLATE NOCASE` : sql`authctl_ascii_lower(email)`;
}

/** Column types: SQLite stores flags as 0/1 and times as ISO text; PostgreSQL has the real types. */
export function columnTypes(dialect: DialectName) {
  return dialect === "sqlite"
    ? { username: sql`text`, flag: sql`integer`, yes: sql`1`, no: sql`0`, time: sql`text`, millis: sql`integer` }
    : // "C": byte-wise, so usernames compare case-sensitively and exactly as Django's do on SQLite.
      { username: sql`text collate "C"`, flag: sql`boolean`, yes: sql`true`, no: sql`false`, time: sql`timestamptz`, millis: sql`bigint` };
}

/**
 * Serializes throttle checks on `keys` until the transaction ends. SQLite's
 * `BEGIN IMMEDIATE` already holds the database's one write lock; PostgreSQL
 * takes a transaction-scoped advisory lock per key, in the order of the
 * locks' numbers, so two checks sharing keys cannot deadlock.
 */
export async function lockKeys({ db, dialect }: Conn, keys: readonly string[]): Promise<void> {
  if (dialect === "sqlite" || keys.length === 0) return;
  await sql`SELECT pg_advisory_xact_lock(lock) FROM (SELECT DISTINCT hashtext(k) AS lock FROM unnest(${[...keys]}::text[]) AS k ORDER BY lock) AS locks`.execute(
    db,
  );
}

/** Deletes one throttle event with this key and time (there may be equal ones): by SQLite's rowid, PostgreSQL's ctid. */
export async function deleteOneRow({ db, dialect }: Conn, key: string, at: number): Promise<void> {
  const id = sql.raw(dialect === "sqlite" ? "rowid" : "ctid");
  await sql`DELETE FROM throttle_events WHERE ${id} = (SELECT ${id} FROM throttle_events WHERE key = ${key} AND at = ${at} LIMIT 1)`.execute(
    db,
  );
}
