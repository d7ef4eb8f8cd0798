import { sql, type Expression, type RawBuilder, type SqlBool } from "kysely";

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
