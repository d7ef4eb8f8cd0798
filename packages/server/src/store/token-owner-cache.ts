import type { TokenOwner } from "./store.js";

/**
 * The answers of the token check's read, kept only while the database is
 * unchanged: every lookup first asks the database for its change mark (SQLite's
 * `PRAGMA data_version` plus this process's own writes, see
 * AuthctlSqliteDriver.changeMark), and a new mark empties the cache before
 * anything is taken from it. A revocation, an expiry moved, a user
 * deactivated — on this worker, another or another process on the file — is
 * a commit, so no answer outlives it: the cache only saves reading and
 * converting the same row again while nothing was written.
 *
 * Asking for the mark is itself a read (SQLite takes and drops its shared
 * lock, two system calls), but about a third of the row's: the join, the
 * sixteen columns and the record built from them are what it saves. Under
 * load one ask serves every lookup of an event-loop turn: it is made after
 * the turn's I/O callbacks (setImmediate), so after each of those lookups'
 * requests had arrived, and sees every commit made before any of them.
 */
export class TokenOwnerCache {
  /** Owners by token digest; null for a digest no token has. */
  private readonly owners = new Map<string, TokenOwner | null>();
  private mark: number | undefined;
  /** The mark the lookups made so far in this turn wait for, asked at its end. */
  private asking: Promise<number | undefined> | undefined;

  constructor(
    private readonly changeMark: () => number | undefined,
    /** Digests kept at most; a full cache starts over (a flood of unknown tokens costs the others one read each). */
    private readonly capacity = 10_000,
  ) {}

  /** The owner of the token with `digest`, from `read` unless the database is unchanged since it was last read. */
  async find(digest: string, read: () => Promise<TokenOwner | undefined>): Promise<TokenOwner | undefined> {
    const mark = await this.nextMark();
    if (mark === undefined) return read();
    if (mark !== this.mark) {
      this.owners.clear();
      this.mark = mark;
    }
    const known = this.owners.get(digest);
    if (known === null) return undefined;
    // A new owner object each time: the token check replaces `token` on it after recording a use.
    if (known !== undefined) return { user: known.user, token: known.token };
    const owner = await read();
    // Kept under the mark taken before the read: a write since has moved the database's mark,
    // so the next lookup empties the cache before it could serve what was read here.
    if (this.mark === mark) {
      if (this.owners.size >= this.capacity) this.owners.clear();
      this.owners.set(digest, owner ? { user: Object.freeze(owner.user), token: Object.freeze(owner.token) } : null);
    }
    return owner;
  }

  /** The change mark, asked once for every lookup that joined before it was asked: never a mark from before a lookup began. */
  private nextMark(): Promise<number | undefined> {
    return (this.asking ??= new Promise((resolve) => {
      setImmediate(() => {
        this.asking = undefined;
        resolve(this.changeMark());
      });
    }));
  }
}
