import { sql, type Compilable, type CompiledQuery } from "kysely";
import type { SealedToken } from "../auth/tokens.js";
import type { Conn, Queryable } from "./database.js";
import { emailEquals, type DialectName } from "./dialect.js";
import { KEY_FINGERPRINT, timestamp, tokenFromRow, USER_COLUMNS, userFromRow } from "./schema.js";
import type { NewToken, StoredToken, TokenOwner, TokenRecord, UserDetails, UserRecord } from "./store.js";

/**
 * Every query of the data layer, written once for both databases: the
 * request path (account-store.ts), the throttle state and the admin commands
 * all call these.
 */

/** A user as administration sees and writes it (every column of `users`; names and last login default to Django's). */
export type AdminUser = Omit<UserRecord, "id" | "firstName" | "lastName" | "lastLogin"> &
  Partial<Pick<UserRecord, "firstName" | "lastName" | "lastLogin">>;

/** A token row as copies and key rotation carry it over. */
export interface TokenRow extends StoredToken {
  userId: number;
  perUser: boolean;
}

/** The `per_user` value of a user's one DRF token; per-login tokens have null. */
const PER_USER = 1;

const TOKEN_COLUMNS = ["id", "digest", "sealed", "created", "expiry", "last_used", "name"] as const;

// --- the request path's hot queries -----------------------------------------

/**
 * A query built and compiled once per dialect, then run with new parameter
 * values: the token check and the login lookup skip Kysely's builder and
 * compiler (and, on SQLite, statement preparation) on every request.
 * `build` receives placeholders and must use each exactly where its value goes.
 */
function hotQuery<P extends unknown[], R>(build: (db: Queryable, ...placeholders: P) => Compilable<R>, arity: P["length"]) {
  const compiled = new Map<DialectName, { query: CompiledQuery<R>; order: number[] }>();
  return ({ db, dialect, firstRow }: Conn, ...values: P): Promise<R | undefined> => {
    let entry = compiled.get(dialect);
    if (!entry) {
      const placeholders = Array.from({ length: arity }, (_, index) => `\u0000authctl-param-${index}`);
      const query = build(db, ...(placeholders as P)).compile();
      entry = { query, order: query.parameters.map((value) => placeholders.indexOf(value as string)) };
      if (entry.order.includes(-1)) throw new Error("a hot query has a value that is not one of its parameters");
      compiled.set(dialect, entry);
    }
    const parameters = entry.order.map((index) => values[index]);
    if (firstRow) return firstRow<R>(entry.query.sql, parameters);
    return db.executeQuery<R>({ ...entry.query, parameters }).then((result) => result.rows[0]);
  };
}

const selectUsers = (db: Queryable) => db.selectFrom("users").select(USER_COLUMNS);

const userByDigestQuery = hotQuery(
  (db, digest: string) =>
    db
      .selectFrom("tokens")
      .innerJoin("users", "users.id", "tokens.user_id")
      .select(USER_COLUMNS.map((column) => `users.${column}` as const))
      .select([
        "tokens.id as token_id",
        "tokens.created as token_created",
        "tokens.expiry as token_expiry",
        "tokens.last_used as token_last_used",
        "tokens.name as token_name",
      ])
      .where("tokens.digest", "=", digest),
  1,
);
const userByUsernameQuery = hotQuery((db, username: string) => selectUsers(db).where("username", "=", username), 1);
const tokenOfUserQuery = hotQuery(
  // per_user is PER_USER or null: "is not null" keeps the compiled query free of a constant parameter.
  (db, userId: number) => db.selectFrom("tokens").select(TOKEN_COLUMNS).where("user_id", "=", userId).where("per_user", "is not", null),
  1,
);

/** The token with this digest and its user, in one indexed read. */
export async function tokenOwnerByDigest(conn: Conn, digest: string): Promise<TokenOwner | undefined> {
  const row = await userByDigestQuery(conn, digest);
  if (!row) return undefined;
  const token = tokenFromRow({
    id: row.token_id,
    created: row.token_created,
    expiry: row.token_expiry,
    last_used: row.token_last_used,
    name: row.token_name,
  });
  return { user: userFromRow(row), token };
}

export async function userByUsername(conn: Conn, username: string): Promise<UserRecord | undefined> {
  return userFromRow(await userByUsernameQuery(conn, username));
}

/** The user's one DRF token (per-user model). */
export async function tokenOfUser(conn: Conn, userId: number): Promise<StoredToken | undefined> {
  const row = await tokenOfUserQuery(conn, userId);
  return row && { ...tokenFromRow(row), digest: row.digest, sealed: row.sealed };
}

// --- users ---------------------------------------------------------------

export async function usernameTaken({ db }: Conn, username: string): Promise<boolean> {
  return (await db.selectFrom("users").select("id").where("username", "=", username).executeTakeFirst()) !== undefined;
}

export async function emailTaken({ db, dialect }: Conn, email: string): Promise<boolean> {
  const row = await db
    .selectFrom("users")
    .select("id")
    .where((eb) => emailEquals(dialect, eb.ref("email"), email))
    .executeTakeFirst();
  return row !== undefined;
}

export async function userById({ db }: Conn, id: number): Promise<UserRecord | undefined> {
  return userFromRow(await selectUsers(db).where("id", "=", id).executeTakeFirst());
}

export async function activeUserByEmail({ db, dialect }: Conn, email: string): Promise<UserRecord | undefined> {
  const row = await selectUsers(db)
    .where((eb) => emailEquals(dialect, eb.ref("email"), email))
    .where("is_active", "=", true)
    .executeTakeFirst();
  return userFromRow(row);
}

export async function userByEmail({ db, dialect }: Conn, email: string): Promise<UserRecord | undefined> {
  return userFromRow(
    await selectUsers(db)
      .where((eb) => emailEquals(dialect, eb.ref("email"), email))
      .executeTakeFirst(),
  );
}

/** Users in id order, `pageSize` at a time, so a listing never holds the whole table. */
export async function* usersInPages(conn: Conn, pageSize = 500): AsyncGenerator<UserRecord> {
  let after = 0;
  for (;;) {
    const rows = await selectUsers(conn.db).where("id", ">", after).orderBy("id").limit(pageSize).execute();
    for (const row of rows) yield userFromRow(row);
    const last = rows[rows.length - 1];
    if (!last || rows.length < pageSize) return;
    after = last.id;
  }
}

/** Inserts a user as given (with `id` when copying a database); returns its id. */
export async function insertUser({ db }: Conn, user: AdminUser & { id?: number }): Promise<number> {
  const row = await db
    .insertInto("users")
    .values({
      ...(user.id === undefined ? {} : { id: user.id }),
      username: user.username,
      email: user.email,
      password: user.passwordHash,
      is_active: user.isActive,
      is_staff: user.isStaff,
      is_superuser: user.isSuperuser,
      date_joined: user.dateJoined,
      first_name: user.firstName,
      last_name: user.lastName,
      last_login: user.lastLogin,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Sets the user's password hash; with `ifHash`, only if it is still that one. Whether it was set. */
export async function setPasswordHash({ db }: Conn, userId: number, passwordHash: string, ifHash?: string): Promise<boolean> {
  let update = db.updateTable("users").set({ password: passwordHash }).where("id", "=", userId);
  if (ifHash !== undefined) update = update.where("password", "=", ifHash);
  return (await update.executeTakeFirst()).numUpdatedRows === 1n;
}

/** Writes the given details (dj-rest-auth's `user/`); absent ones stay as they are. */
export async function setUserDetails({ db }: Conn, userId: number, details: UserDetails): Promise<void> {
  const values = {
    ...(details.username === undefined ? {} : { username: details.username }),
    ...(details.firstName === undefined ? {} : { first_name: details.firstName }),
    ...(details.lastName === undefined ? {} : { last_name: details.lastName }),
  };
  if (Object.keys(values).length > 0) await db.updateTable("users").set(values).where("id", "=", userId).execute();
}

/** Changes `is_active`; whether it changed (false when it already had that value). */
export async function setActive({ db }: Conn, userId: number, active: boolean): Promise<boolean> {
  const result = await db
    .updateTable("users")
    .set({ is_active: active })
    .where("id", "=", userId)
    .where("is_active", "<>", active)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** After inserting explicit ids, PostgreSQL's identity must continue past them (SQLite's AUTOINCREMENT does by itself). */
export async function resetIdSequence({ db, dialect }: Conn): Promise<void> {
  if (dialect !== "postgres") return;
  await db
    .selectNoFrom((eb) =>
      eb
        .fn("setval", [
          eb.fn("pg_get_serial_sequence", [eb.val("users"), eb.val("id")]),
          eb.selectFrom("users").select((inner) => inner.fn.coalesce(inner.fn.max("id"), eb.val(0)).as("top")),
          eb.val(true),
        ])
        .as("next"),
    )
    .execute();
}

// --- tokens --------------------------------------------------------------

/**
 * The one write of a token row. `perUser`: the user's one DRF token, and with
 * `ifNone` a concurrent login's stored first is kept; otherwise one more
 * per-login token.
 */
export async function insertToken(
  { db }: Conn,
  userId: number,
  token: NewToken,
  options: { perUser: boolean; ifNone?: boolean; lastUsed?: string | null },
): Promise<void> {
  let insert = db.insertInto("tokens").values({
    user_id: userId,
    digest: token.sealed.digest,
    sealed: token.sealed.sealed,
    created: token.created,
    expiry: token.expiry,
    last_used: options.lastUsed ?? null,
    name: token.name,
    per_user: options.perUser ? PER_USER : null,
  });
  if (options.ifNone) insert = insert.onConflict((conflict) => conflict.columns(["user_id", "per_user"]).doNothing());
  await insert.execute();
}

export async function tokenDigestTaken({ db }: Conn, digest: string): Promise<boolean> {
  return (await db.selectFrom("tokens").select("id").where("digest", "=", digest).executeTakeFirst()) !== undefined;
}

export async function allTokens({ db }: Conn): Promise<TokenRow[]> {
  const rows = await db
    .selectFrom("tokens")
    .select([...TOKEN_COLUMNS, "user_id", "per_user"])
    .orderBy("id")
    .execute();
  return rows.map((row) => ({
    ...tokenFromRow(row),
    digest: row.digest,
    sealed: row.sealed,
    userId: row.user_id,
    perUser: row.per_user !== null,
  }));
}

export async function anyToken({ db }: Conn): Promise<SealedToken | undefined> {
  return db.selectFrom("tokens").select(["digest", "sealed"]).limit(1).executeTakeFirst();
}

/** Swaps the user's DRF token for `next`; with `ifDigest`, only if it is still that one. Whether it was swapped. */
export async function replaceToken({ db }: Conn, userId: number, next: NewToken, ifDigest?: string): Promise<boolean> {
  let update = db
    .updateTable("tokens")
    .set({
      digest: next.sealed.digest,
      sealed: next.sealed.sealed,
      created: next.created,
      expiry: next.expiry,
      last_used: null,
      name: next.name,
    })
    .where("user_id", "=", userId)
    .where("per_user", "=", PER_USER);
  if (ifDigest !== undefined) update = update.where("digest", "=", ifDigest);
  return (await update.executeTakeFirst()).numUpdatedRows === 1n;
}

/** Re-seals one token under another key (its value, and so its digest, unchanged). */
export async function resealToken({ db }: Conn, tokenId: number, sealed: SealedToken): Promise<void> {
  await db.updateTable("tokens").set({ sealed: sealed.sealed }).where("id", "=", tokenId).where("digest", "=", sealed.digest).execute();
}

/** How many of the user's tokens are live at `now`. */
export async function liveTokenCount({ db }: Conn, userId: number, now: string): Promise<number> {
  const row = await db
    .selectFrom("tokens")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("user_id", "=", userId)
    .where((eb) => eb.or([eb("expiry", "is", null), eb("expiry", ">", now)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The user's tokens live at `now`, oldest first. */
export async function liveTokens({ db }: Conn, userId: number, now: string): Promise<TokenRecord[]> {
  const rows = await db
    .selectFrom("tokens")
    .select(["id", "created", "expiry", "last_used", "name"])
    .where("user_id", "=", userId)
    .where((eb) => eb.or([eb("expiry", "is", null), eb("expiry", ">", now)]))
    .orderBy("id")
    .execute();
  return rows.map(tokenFromRow);
}

/** Records a use of the token and its expiry (moved on by sliding refresh). */
export async function touchToken({ db }: Conn, tokenId: number, lastUsed: string, expiry: string | null): Promise<void> {
  await db.updateTable("tokens").set({ last_used: lastUsed, expiry }).where("id", "=", tokenId).execute();
}

/** Deletes one token of the user; whether there was one. */
export async function deleteTokenById({ db }: Conn, userId: number, tokenId: number): Promise<boolean> {
  const result = await db.deleteFrom("tokens").where("id", "=", tokenId).where("user_id", "=", userId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Deletes one user's tokens, or every token; the number deleted. */
export async function deleteTokens({ db }: Conn, userId: number | undefined): Promise<number> {
  let remove = db.deleteFrom("tokens");
  if (userId !== undefined) remove = remove.where("user_id", "=", userId);
  return Number((await remove.executeTakeFirst()).numDeletedRows);
}

/** Deletes up to `batch` tokens expired at `now` (by the expiry index); the number deleted. */
export async function deleteExpiredTokens({ db }: Conn, now: string, batch: number): Promise<number> {
  const result = await db
    .deleteFrom("tokens")
    .where("id", "in", (eb) => eb.selectFrom("tokens").select("id").where("expiry", "<=", now).limit(batch))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function counts({ db }: Conn): Promise<{ users: number; tokens: number }> {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom("users")
        .select((inner) => inner.fn.countAll().as("n"))
        .as("users"),
      eb
        .selectFrom("tokens")
        .select((inner) => inner.fn.countAll().as("n"))
        .as("tokens"),
    ])
    .executeTakeFirstOrThrow();
  return { users: Number(row.users), tokens: Number(row.tokens) };
}

/** Throws when the database cannot answer a read. */
export async function ping({ db }: Conn): Promise<void> {
  await sql`SELECT 1`.execute(db);
}

// --- facts about the database -------------------------------------------

export async function keyFingerprint({ db }: Conn): Promise<string | undefined> {
  return (await db.selectFrom("meta").select("value").where("name", "=", KEY_FINGERPRINT).executeTakeFirst())?.value;
}

/** The one write of the key fingerprint. `ifNone`: keep one recorded already. */
export async function recordKeyFingerprint({ db }: Conn, fingerprint: string, options: { ifNone?: boolean } = {}): Promise<void> {
  await db
    .insertInto("meta")
    .values({ name: KEY_FINGERPRINT, value: fingerprint })
    .onConflict((conflict) =>
      options.ifNone ? conflict.column("name").doNothing() : conflict.column("name").doUpdateSet({ value: fingerprint }),
    )
    .execute();
}

// --- running servers ---------------------------------------------------------

export interface ServerRow {
  id: string;
  host: string;
  pid: number;
  started: string;
  seen: number;
}

/** Records a running server process, or refreshes when it was last seen. */
export async function touchServer({ db }: Conn, server: ServerRow): Promise<void> {
  await db
    .insertInto("servers")
    .values(server)
    .onConflict((conflict) => conflict.column("id").doUpdateSet({ seen: server.seen }))
    .execute();
}

export async function removeServer({ db }: Conn, id: string): Promise<void> {
  await db.deleteFrom("servers").where("id", "=", id).execute();
}

/** Servers seen after `since`, and the rows of those gone longer than that are deleted. */
export async function liveServers({ db }: Conn, since: number): Promise<ServerRow[]> {
  await db.deleteFrom("servers").where("seen", "<=", since).execute();
  const rows = await db.selectFrom("servers").selectAll().orderBy("started").execute();
  return rows.map((row) => ({ ...row, started: timestamp(row.started), seen: Number(row.seen) }));
}
