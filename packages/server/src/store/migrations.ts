import { sql, type Kysely, type Migration, type MigrationProvider } from "kysely";
import { columnTypes, emailIndexExpression, type DialectName } from "./dialect.js";

/**
 * The schema's history, the same numbered steps for SQLite and PostgreSQL,
 * applied by Kysely's migrator and recorded in `authctl_migrations`. Never
 * edit an applied step: append one. Adding a column is one step here plus the
 * queries (queries.ts) that use it.
 */
export function migrations(dialect: DialectName): Record<string, Migration> {
  return {
    "0001_accounts": { up: (db) => accounts(db, dialect) },
    "0002_servers": { up: (db) => servers(db, dialect) },
    "0003_user_details": { up: (db) => userDetails(db, dialect) },
    "0004_token_ids": { up: (db) => tokenIds(db, dialect) },
  };
}

export const MIGRATION_TABLE = "authctl_migrations";
export const MIGRATION_LOCK_TABLE = "authctl_migrations_lock";

export function migrationProvider(dialect: DialectName): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations(dialect)) };
}

/**
 * Users, tokens, facts about the database and throttle history: the schema
 * of release 0.1 (SQLite `user_version` 1–3, PostgreSQL `authctl_schema` 1).
 * Everything is created only if absent, so a database made by that release is
 * adopted as it is, with nothing lost; the legacy version markers are then set
 * far ahead, so a 0.1 server refuses to start on the newer schema instead of
 * writing to it.
 */
async function accounts(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const type = columnTypes(dialect);
  if (dialect === "postgres") {
    await sql`CREATE OR REPLACE FUNCTION authctl_ascii_lower(value text) RETURNS text
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $fold$ SELECT translate(value, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') $fold$`.execute(db);
  }
  await db.schema
    .createTable("users")
    .ifNotExists()
    .addColumn("id", "integer", (column) =>
      dialect === "sqlite" ? column.primaryKey().autoIncrement() : column.primaryKey().generatedByDefaultAsIdentity(),
    )
    .addColumn("username", type.username, (column) => column.notNull().unique())
    .addColumn("email", "text", (column) => column.notNull())
    .addColumn("password", "text", (column) => column.notNull())
    .addColumn("is_active", type.flag, (column) => column.notNull().defaultTo(type.yes))
    .addColumn("is_staff", type.flag, (column) => column.notNull().defaultTo(type.no))
    .addColumn("is_superuser", type.flag, (column) => column.notNull().defaultTo(type.no))
    .addColumn("date_joined", type.time, (column) => column.notNull())
    .execute();
  await db.schema.createIndex("users_email_iexact").ifNotExists().unique().on("users").expression(emailIndexExpression(dialect)).execute();
  await db.schema
    .createTable("tokens")
    .ifNotExists()
    .addColumn("user_id", "integer", (column) => column.primaryKey().references("users.id").onDelete("cascade"))
    .addColumn("digest", "text", (column) => column.notNull().unique())
    .addColumn("sealed", "text", (column) => column.notNull())
    .addColumn("created", type.time, (column) => column.notNull())
    .execute();
  await db.schema
    .createTable("meta")
    .ifNotExists()
    .addColumn("name", "text", (column) => column.primaryKey())
    .addColumn("value", "text", (column) => column.notNull())
    .execute();
  await db.schema
    .createTable("throttle_events")
    .ifNotExists()
    .addColumn("key", "text", (column) => column.notNull())
    .addColumn("at", type.millis, (column) => column.notNull())
    .addColumn("expires", type.millis, (column) => column.notNull())
    .execute();
  await db.schema.createIndex("throttle_events_key_at").ifNotExists().on("throttle_events").columns(["key", "at"]).execute();
  await db.schema.createIndex("throttle_events_expires").ifNotExists().on("throttle_events").column("expires").execute();
  await fenceLegacyServers(db, dialect);
}

/** Far beyond any version release 0.1 knows: it compares and refuses to start. */
const LEGACY_FENCE = 1000;

async function fenceLegacyServers(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === "sqlite") {
    await sql.raw(`PRAGMA user_version = ${LEGACY_FENCE}`).execute(db);
    return;
  }
  await sql`CREATE TABLE IF NOT EXISTS authctl_schema (version integer PRIMARY KEY, applied timestamptz NOT NULL)`.execute(db);
  await sql`INSERT INTO authctl_schema (version, applied) VALUES (${LEGACY_FENCE}, now()) ON CONFLICT (version) DO NOTHING`.execute(db);
}

/** Running server processes and when each was last seen, so admin commands can tell a live database. */
async function servers(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const type = columnTypes(dialect);
  await db.schema
    .createTable("servers")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("host", "text", (column) => column.notNull())
    .addColumn("pid", "integer", (column) => column.notNull())
    .addColumn("started", type.time, (column) => column.notNull())
    .addColumn("seen", type.millis, (column) => column.notNull())
    .execute();
}

/** Django's `auth_user` columns the account lifecycle needs: the user's names and `last_login` (null until one is recorded). */
async function userDetails(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const type = columnTypes(dialect);
  await db.schema
    .alterTable("users")
    .addColumn("first_name", "text", (column) => column.notNull().defaultTo(""))
    .execute();
  await db.schema
    .alterTable("users")
    .addColumn("last_name", "text", (column) => column.notNull().defaultTo(""))
    .execute();
  await db.schema.alterTable("users").addColumn("last_login", type.time).execute();
}

/**
 * Tokens get their own id, so a user may hold several (knox's one per login),
 * and `expiry`, `last_used` and `name`. Existing tokens stay as they are: each
 * becomes its user's one DRF token (`per_user` = 1, unique per user, which
 * keeps concurrent DRF logins on one token), never expiring. SQLite cannot
 * change a primary key, so there the table is rebuilt, inside this step's
 * transaction; PostgreSQL alters it in place.
 */
async function tokenIds(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const type = columnTypes(dialect);
  if (dialect === "sqlite") {
    await db.schema
      .createTable("tokens_new")
      .addColumn("id", "integer", (column) => column.primaryKey().autoIncrement())
      .addColumn("user_id", "integer", (column) => column.notNull().references("users.id").onDelete("cascade"))
      .addColumn("digest", "text", (column) => column.notNull().unique())
      .addColumn("sealed", "text", (column) => column.notNull())
      .addColumn("created", type.time, (column) => column.notNull())
      .addColumn("expiry", type.time)
      .addColumn("last_used", type.time)
      .addColumn("name", "text", (column) => column.notNull().defaultTo(""))
      .addColumn("per_user", "integer")
      .execute();
    await sql`INSERT INTO tokens_new (user_id, digest, sealed, created, per_user) SELECT user_id, digest, sealed, created, 1 FROM tokens ORDER BY user_id`.execute(
      db,
    );
    await db.schema.dropTable("tokens").execute();
    await db.schema.alterTable("tokens_new").renameTo("tokens").execute();
  } else {
    await sql`ALTER TABLE tokens DROP CONSTRAINT tokens_pkey`.execute(db);
    await sql`ALTER TABLE tokens ADD COLUMN id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY`.execute(db);
    await db.schema.alterTable("tokens").addColumn("expiry", type.time).execute();
    await db.schema.alterTable("tokens").addColumn("last_used", type.time).execute();
    await db.schema
      .alterTable("tokens")
      .addColumn("name", "text", (column) => column.notNull().defaultTo(""))
      .execute();
    await db.schema.alterTable("tokens").addColumn("per_user", "integer").execute();
    await sql`UPDATE tokens SET per_user = 1`.execute(db);
  }
  await db.schema.createIndex("tokens_user_per_user").unique().on("tokens").columns(["user_id", "per_user"]).execute();
  await db.schema.createIndex("tokens_expiry").on("tokens").column("expiry").execute();
}
