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
  firstName: string;
  lastName: string;
  /** ISO time of the last login Django recorded (DRF's token login records none), or null. */
  lastLogin: string | null;
}

/** What `user/` may change (dj-rest-auth's UserDetailsSerializer); absent fields are kept. */
export interface UserDetails {
  username?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
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

/** The database stayed locked by another process (a backup, an admin shell) past the wait bound. */
export class StoreBusy extends Error {
  constructor(
    readonly waitedMs: number,
    /** What /healthz says about it. */
    readonly reason = "the database is locked by another process: reads work, writes wait",
  ) {
    super(`${reason} (waited ${waitedMs} ms)`);
    this.name = "StoreBusy";
  }
}

/** The database cannot be reached (down, refusing connections, connection lost); `reason` names no secret. */
export class StoreUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`the database is unavailable: ${reason}`);
    this.name = "StoreUnavailable";
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
  /** Swaps the user's token for `next` if it is still `digest`; false when someone changed it first. */
  replaceToken(userId: number, digest: string, next: SealedToken): Promise<boolean>;
  deleteToken(userId: number): Promise<void>;
  countTokens(): Promise<number>;
  /** Any one stored token, to test which key sealed them. */
  sampleToken(): Promise<SealedToken | undefined>;
  /** Deletes every token and records the fingerprint of the key future tokens are sealed with. */
  revokeAllTokens(keyFingerprint: string): Promise<number>;
  /** The fingerprint of the key that sealed the stored tokens, if one was recorded. */
  keyFingerprint(): Promise<string | undefined>;
  /** Records `fingerprint` unless one is recorded already; returns the one that holds. */
  claimKeyFingerprint(fingerprint: string): Promise<string>;
  setPasswordHash(userId: number, passwordHash: string): Promise<void>;
  /** Sets the hash only if it is still `current`; false when it changed meanwhile (a reset link used twice at once). */
  replacePasswordHash(userId: number, current: string, next: string): Promise<boolean>;
  /** The active user with this address (ASCII case folded, as Django's `email__iexact` on SQLite). */
  findActiveUserByEmail(email: string): Promise<UserRecord | undefined>;
  findUserById(id: number): Promise<UserRecord | undefined>;
  /** Writes the given details; throws UniqueViolation("username") when the name is taken. Returns the user as stored. */
  updateUserDetails(userId: number, details: UserDetails): Promise<UserRecord | undefined>;
  /** Throws when the database cannot answer a read. */
  ping(): Promise<void>;
  /** Throws StoreBusy when a write could not start within a short wait (another process holds the write lock). */
  checkWritable(): Promise<void>;
  close(): Promise<void>;
}
