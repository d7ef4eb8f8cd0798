import type { SealedToken } from "../auth/tokens.js";

/** A row of the users table, shaped like Django's `auth_user`. */
export interface UserRecord {
  id: number;
  username: string;
  email: string;
  passwordHash: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  dateJoined: string;
}

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
}

/** Which unique rule a write broke; the database is the judge, so races resolve cleanly. */
export class UniqueViolation extends Error {
  constructor(readonly field: "username" | "email") {
    super(`${field} is already taken`);
    this.name = "UniqueViolation";
  }
}

/**
 * Everything the API needs from persistence. Asynchronous so that a network
 * database (PostgreSQL) can implement it; the SQLite store answers at once.
 */
export interface Store {
  usernameTaken(username: string): Promise<boolean>;
  /** Case-insensitive, like Django's `email__iexact` on SQLite. */
  emailTaken(email: string): Promise<boolean>;
  /** Creates a normal (never staff, never superuser) user and their token at once. */
  createUser(user: NewUser, token: SealedToken): Promise<UserRecord>;
  findUserByUsername(username: string): Promise<UserRecord | undefined>;
  findUserByTokenDigest(digest: string): Promise<UserRecord | undefined>;
  /** The user's token; if they have none, the one `create` makes is stored (a concurrent login may win). */
  getOrCreateToken(userId: number, create: () => SealedToken): Promise<SealedToken>;
  deleteToken(userId: number): Promise<void>;
  setPasswordHash(userId: number, passwordHash: string): Promise<void>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
