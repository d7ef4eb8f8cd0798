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
];

export function migrate(db: Database): number {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`the database is at schema version ${current}, newer than this server (${MIGRATIONS.length})`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] ?? "");
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
  return MIGRATIONS.length;
}
