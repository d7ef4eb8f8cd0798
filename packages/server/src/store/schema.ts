import type { ColumnType, Generated, Selectable } from "kysely";
import type { TokenRecord, UserRecord } from "./store.js";

/**
 * The tables, as Kysely sees them. Both drivers read some columns back in
 * their own shape (SQLite: 0/1 and ISO text; PostgreSQL: booleans, Dates and
 * bigints as strings); `userFromRow` and `timestamp` turn them into one.
 */
type Flag = ColumnType<boolean | number, boolean, boolean>;
type Timestamp = ColumnType<Date | string, string, string>;
type Millis = ColumnType<number | string, number, number>;

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string;
  password: string;
  is_active: Flag;
  is_staff: Flag;
  is_superuser: Flag;
  date_joined: Timestamp;
  first_name: ColumnType<string, string | undefined, string>;
  last_name: ColumnType<string, string | undefined, string>;
  last_login: ColumnType<Date | string | null, string | null | undefined, string | null>;
}

export interface TokensTable {
  id: Generated<number>;
  user_id: number;
  digest: string;
  sealed: string;
  created: Timestamp;
  /** When the token stops working; null: never (DRF's tokens). */
  expiry: ColumnType<Date | string | null, string | null | undefined, string | null>;
  /** When it last authenticated a request, to the minute; null: not recorded. */
  last_used: ColumnType<Date | string | null, string | null | undefined, string | null>;
  /** The device it was issued to (a login's `name`, else its User-Agent). */
  name: ColumnType<string, string | undefined, string>;
  /** 1 for the user's one DRF token (unique per user), null for per-login tokens (knox's). */
  per_user: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface MetaTable {
  name: string;
  value: string;
}

export interface ThrottleEventsTable {
  key: string;
  at: Millis;
  expires: Millis;
}

/** One row per running server process, refreshed while it runs (see heartbeat.ts). */
export interface ServersTable {
  id: string;
  host: string;
  pid: number;
  started: Timestamp;
  seen: Millis;
}

export interface Schema {
  users: UsersTable;
  tokens: TokensTable;
  meta: MetaTable;
  throttle_events: ThrottleEventsTable;
  servers: ServersTable;
}

/** The `meta` row holding the fingerprint of the key that sealed the stored tokens. */
export const KEY_FINGERPRINT = "key_fingerprint";

/** Every column of `users`, the shape `userFromRow` reads. */
export const USER_COLUMNS = [
  "id",
  "username",
  "email",
  "password",
  "is_active",
  "is_staff",
  "is_superuser",
  "date_joined",
  "first_name",
  "last_name",
  "last_login",
] as const;

export type UserRow = Pick<Selectable<UsersTable>, (typeof USER_COLUMNS)[number]>;

export function userFromRow(row: UserRow): UserRecord;
export function userFromRow(row: UserRow | undefined): UserRecord | undefined;
export function userFromRow(row: UserRow | undefined): UserRecord | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    passwordHash: row.password,
    isActive: flag(row.is_active),
    isStaff: flag(row.is_staff),
    isSuperuser: flag(row.is_superuser),
    dateJoined: timestamp(row.date_joined),
    firstName: row.first_name,
    lastName: row.last_name,
    lastLogin: row.last_login === null ? null : timestamp(row.last_login),
  };
}

const flag = (value: boolean | number) => value === true || value === 1;

/** A stored time as ISO text, whichever driver read it. */
export function timestamp(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : value;
}

type TokenRow = Pick<Selectable<TokensTable>, "id" | "created" | "expiry" | "last_used" | "name">;

/** A token row as its owner may see it (never its key or digest). */
export function tokenFromRow(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    created: timestamp(row.created),
    expiry: row.expiry === null ? null : timestamp(row.expiry),
    lastUsed: row.last_used === null ? null : timestamp(row.last_used),
    name: row.name,
  };
}
