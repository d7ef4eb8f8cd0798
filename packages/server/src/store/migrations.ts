import type { Database } from "better-sqlite3";

/**
 * The schema, one entry per version; PRAGMA user_version records how many have
 * been applied. Never edit an applied entry: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     username TEXT NOT NULL UNIQUE,
     email TEXT NOT NULL,
     password TEXT NOT NULL,
     is_active INTEGER NOT NULL DEFAULT 1,
     is_staff INTEGER NOT NULL DEFAULT 0,
     is_superuser INTEGER NOT NULL DEFAULT 0,
     date_joined TEXT NOT NULL
   );
   -- NOCASE folds ASCII only, exactly what Django's email__iexact does on SQLite.
   CREATE UNIQUE INDEX users_email_iexact ON users (email COLLATE NOCASE);
   CREATE TABLE tokens (
     user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
     digest TEXT NOT NULL UNIQUE,
     sealed TEXT NOT NULL,
     created TEXT NOT NULL
   );`,
  // Facts about the database itself, such as the fingerprint of the key that sealed its tokens.
  `CREATE TABLE meta (
     name TEXT PRIMARY KEY,
     value TEXT NOT NULL
   );`,
  // Throttle history shared by every server process on this database (SqliteThrottleState).
  `CREATE TABLE throttle_events (
     key TEXT NOT NULL,
     at INTEGER NOT NULL,
     expires INTEGER NOT NULL
   );
   CREATE INDEX throttle_events_key_at ON throttle_events (key, at);
   CREATE INDEX throttle_events_expires ON throttle_events (expires);`,
];

/**
 * Brings the schema up to date. The version is read and every step applied
 * inside one BEGIN IMMEDIATE, so servers starting at once on a new database
 * apply each step exactly once: the others wait, then find nothing to do.
 */
export function migrate(db: Database): number {
  db.transaction(() => {
    const current = db.pragma("user_version", { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(`the database is at schema version ${current}, newer than this server (${MIGRATIONS.length})`);
    }
    for (const step of MIGRATIONS.slice(current)) db.exec(step);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
  return MIGRATIONS.length;
}
