import type { UserRecord } from "./store.js";

/** The `users` columns every store reads, Django's `auth_user` names, table alias `u`. */
export const USER_COLUMNS = "u.id, u.username, u.email, u.password, u.is_active, u.is_staff, u.is_superuser, u.date_joined";

/** The `meta` row holding the fingerprint of the key that sealed the stored tokens. */
export const KEY_FINGERPRINT = "key_fingerprint";

/** A `users` row as either driver returns it: SQLite gives 0/1 and text, PostgreSQL booleans and a Date. */
export interface UserRow {
  id: number;
  username: string;
  email: string;
  password: string;
  is_active: boolean | number;
  is_staff: boolean | number;
  is_superuser: boolean | number;
  date_joined: string | Date;
}

export function userFromRow(row: UserRow | undefined): UserRecord | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    passwordHash: row.password,
    isActive: row.is_active === true || row.is_active === 1,
    isStaff: row.is_staff === true || row.is_staff === 1,
    isSuperuser: row.is_superuser === true || row.is_superuser === 1,
    dateJoined: timestamp(row.date_joined),
  };
}

/** A stored time as ISO text, whichever driver read it. */
export function timestamp(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}
