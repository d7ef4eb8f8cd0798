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

/** A token as its owner may see it: never its key or digest. */
export interface TokenRecord {
  id: number;
  created: string;
  /** When it stops working; null: never (DRF's tokens). */
  expiry: string | null;
  /** When it last authenticated a request, to the minute; null: not recorded. */
  lastUsed: string | null;
  /** The device it was issued to. */
  name: string;
}

/** A stored token: its record, and the key sealed. */
export interface StoredToken extends TokenRecord, SealedToken {}

/** A token about to be stored. */
export interface NewToken {
  sealed: SealedToken;
  created: string;
  expiry: string | null;
  name: string;
}

/** Who a token authenticates, and which token it is. */
export interface TokenOwner {
  user: UserRecord;
  token: TokenRecord;
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
  /** Creates a normal (never staff, never superuser) user and their token at once: their one DRF token unless `perUser` is false. */
  createUser(user: NewUser, token: NewToken, options?: { perUser: boolean }): Promise<UserRecord>;
  findUserByUsername(username: string): Promise<UserRecord | undefined>;
  /** The token with this digest and its user, in one indexed read; expired tokens too (the caller judges). */
  findTokenByDigest(digest: string): Promise<TokenOwner | undefined>;
  /** The user's one DRF token; if they have none, the one `create` makes is stored (a concurrent login may win). */
  getOrCreateToken(userId: number, create: () => NewToken): Promise<StoredToken>;
  /** Swaps the user's DRF token for `next` if it is still `digest`; false when someone changed it first. */
  replaceToken(userId: number, digest: string, next: NewToken): Promise<boolean>;
  /**
   * Stores one more token for the user (knox's per-login tokens); with a
   * `limit`, only while fewer than that are live at `now` (checked and
   * inserted under a per-user lock). Whether it was stored.
   */
  addToken(userId: number, token: NewToken, limit?: { max: number; now: string }): Promise<boolean>;
  /** The user's tokens live at `now`, oldest first. */
  listTokens(userId: number, now: string): Promise<TokenRecord[]>;
  /** Records a use of the token (and, with sliding refresh, its new expiry). */
  touchToken(tokenId: number, lastUsed: string, expiry: string | null): Promise<void>;
  /** Deletes one token of the user; false when the user has no such token. */
  deleteTokenById(userId: number, tokenId: number): Promise<boolean>;
  /** Deletes every token of the user. */
  deleteUserTokens(userId: number): Promise<void>;
  /** Deletes up to `batch` tokens expired at `now`; the number deleted. */
  pruneExpiredTokens(now: string, batch: number): Promise<number>;
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
