import type { SealedToken } from "../auth/tokens.js";
import type { Database } from "./database.js";
import { lockKeys } from "./dialect.js";
import * as q from "./queries.js";
import { TokenOwnerCache } from "./token-owner-cache.js";
import type { NewToken, NewUser, Store, StoredToken, TokenOwner, TokenRecord, UserDetails, UserRecord } from "./store.js";

/** /healthz asks whether a read and a write could start now; it must answer fast, so it waits less than a request would. */
const HEALTH_LOCK_TIMEOUT_MS = 250;

/** The request path's Store, on the one data layer: each method is a query (or a transaction) of queries.ts. */
export class AccountStore implements Store {
  /** SQLite only: PostgreSQL has no cheap way to tell that another instance wrote, so every check reads. */
  private readonly owners: TokenOwnerCache | undefined;

  constructor(readonly database: Database) {
    this.owners = database.changeMark && new TokenOwnerCache(database.changeMark);
  }

  usernameTaken(username: string): Promise<boolean> {
    return this.database.run((conn) => q.usernameTaken(conn, username));
  }

  emailTaken(email: string): Promise<boolean> {
    return this.database.run((conn) => q.emailTaken(conn, email));
  }

  /** The token is the user's one DRF token when `perUser`, else their first per-login token. */
  createUser(user: NewUser, token: NewToken, options: { perUser: boolean } = { perUser: true }): Promise<UserRecord> {
    const record = {
      ...user,
      isActive: true,
      isStaff: false,
      isSuperuser: false,
      dateJoined: token.created,
      firstName: "",
      lastName: "",
      lastLogin: null,
    };
    return this.database.transaction(async (conn) => {
      const id = await q.insertUser(conn, record);
      await q.insertToken(conn, id, token, options);
      return { id, ...record };
    });
  }

  findUserByUsername(username: string): Promise<UserRecord | undefined> {
    return this.database.run((conn) => q.userByUsername(conn, username));
  }

  findTokenByDigest(digest: string): Promise<TokenOwner | undefined> {
    const read = () => this.database.run((conn) => q.tokenOwnerByDigest(conn, digest));
    return this.owners ? this.owners.find(digest, read) : read();
  }

  getOrCreateToken(userId: number, create: () => NewToken): Promise<StoredToken> {
    return this.database.run(async (conn) => {
      const existing = await q.tokenOfUser(conn, userId);
      if (existing) return existing;
      await q.insertToken(conn, userId, create(), { perUser: true, ifNone: true });
      const stored = await q.tokenOfUser(conn, userId);
      if (!stored) throw new Error(`user ${userId} has no token after creating one`);
      return stored;
    });
  }

  replaceToken(userId: number, digest: string, next: NewToken): Promise<boolean> {
    return this.database.run((conn) => q.replaceToken(conn, userId, next, digest));
  }

  addToken(userId: number, token: NewToken, limit?: { max: number; now: string }): Promise<boolean> {
    if (!limit) return this.database.run(async (conn) => (await q.insertToken(conn, userId, token, { perUser: false }), true));
    return this.database.transaction(async (conn) => {
      await lockKeys(conn, [`tokens:${userId}`]);
      if ((await q.liveTokenCount(conn, userId, limit.now)) >= limit.max) return false;
      await q.insertToken(conn, userId, token, { perUser: false });
      return true;
    });
  }

  listTokens(userId: number, now: string): Promise<TokenRecord[]> {
    return this.database.run((conn) => q.liveTokens(conn, userId, now));
  }

  async touchToken(tokenId: number, lastUsed: string, expiry: string | null): Promise<void> {
    await this.database.run((conn) => q.touchToken(conn, tokenId, lastUsed, expiry));
  }

  deleteTokenById(userId: number, tokenId: number): Promise<boolean> {
    return this.database.run((conn) => q.deleteTokenById(conn, userId, tokenId));
  }

  async deleteUserTokens(userId: number): Promise<void> {
    await this.database.run((conn) => q.deleteTokens(conn, userId));
  }

  pruneExpiredTokens(now: string, batch: number): Promise<number> {
    return this.database.run((conn) => q.deleteExpiredTokens(conn, now, batch));
  }

  async countTokens(): Promise<number> {
    return (await this.database.run((conn) => q.counts(conn))).tokens;
  }

  sampleToken(): Promise<SealedToken | undefined> {
    return this.database.run((conn) => q.anyToken(conn));
  }

  revokeAllTokens(keyFingerprint: string): Promise<number> {
    return this.database.transaction(async (conn) => {
      const deleted = await q.deleteTokens(conn, undefined);
      await q.recordKeyFingerprint(conn, keyFingerprint);
      return deleted;
    });
  }

  keyFingerprint(): Promise<string | undefined> {
    return this.database.run((conn) => q.keyFingerprint(conn));
  }

  async claimKeyFingerprint(fingerprint: string): Promise<string> {
    await this.database.run((conn) => q.recordKeyFingerprint(conn, fingerprint, { ifNone: true }));
    return (await this.keyFingerprint()) ?? fingerprint;
  }

  async setPasswordHash(userId: number, passwordHash: string): Promise<void> {
    await this.database.run((conn) => q.setPasswordHash(conn, userId, passwordHash));
  }

  replacePasswordHash(userId: number, current: string, next: string): Promise<boolean> {
    return this.database.run((conn) => q.setPasswordHash(conn, userId, next, current));
  }

  findActiveUserByEmail(email: string): Promise<UserRecord | undefined> {
    return this.database.run((conn) => q.activeUserByEmail(conn, email));
  }

  findUserById(id: number): Promise<UserRecord | undefined> {
    return this.database.run((conn) => q.userById(conn, id));
  }

  updateUserDetails(userId: number, details: UserDetails): Promise<UserRecord | undefined> {
    return this.database.transaction(async (conn) => {
      await q.setUserDetails(conn, userId, details);
      return q.userById(conn, userId);
    });
  }

  ping(): Promise<void> {
    return this.database.ping(HEALTH_LOCK_TIMEOUT_MS);
  }

  checkWritable(): Promise<void> {
    return this.database.checkWritable(HEALTH_LOCK_TIMEOUT_MS);
  }

  close(): Promise<void> {
    return this.database.close();
  }
}
