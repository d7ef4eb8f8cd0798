import { describeServers, runningServers } from "../store/heartbeat.js";
import {
  allTokens,
  counts,
  insertToken,
  insertUser,
  keyFingerprint,
  recordKeyFingerprint,
  resetIdSequence,
  usersInPages,
} from "../store/queries.js";
import { AdminError } from "./admin-error.js";
import type { ServerConfig } from "../config.js";
import { openAdminUrl } from "./open-admin.js";

export interface CopySummary {
  from: string;
  to: string;
  users: number;
  tokens: number;
  /** The target's counts matched the source's snapshot before the copy was committed. */
  verified: boolean;
}

export interface CopyOptions {
  /** Copy even though servers are using the source (for a source no server writes to, such as a read-only replica). */
  allowLiveSource?: boolean;
}

/**
 * Copies users (with their ids), tokens (sealed as they are: the same key
 * opens them) and the key fingerprint from one authctl database to an empty
 * one. The source is read in one snapshot and the target written in one
 * transaction, committed only when its counts match the snapshot's. A source
 * that servers are using is refused: what they write after the snapshot (a
 * logout, a registration) would be missing from the copy, and a logged-out
 * token would work again there.
 */
export async function copyDatabase(from: string, to: string, config: ServerConfig, options: CopyOptions = {}): Promise<CopySummary> {
  const source = await openAdminUrl(from, config);
  try {
    const live = await runningServers(source);
    if (live.length > 0 && options.allowLiveSource !== true) {
      throw new AdminError(
        `${source.name} is in use by ${describeServers(live)}: a logout or registration made during the copy would be lost on it`,
        "refused",
        "stop the servers first (a server killed without a shutdown counts as running for 30 s); --allow-live-source copies a source no server writes to",
      );
    }
    const target = await openAdminUrl(to, config, { create: true });
    try {
      const copied = await source.transaction(
        async (snapshot) => {
          const expected = await counts(snapshot);
          const fingerprint = await keyFingerprint(snapshot);
          return target.transaction(async (tx) => {
            const before = await counts(tx);
            if (before.users > 0 || before.tokens > 0) {
              throw new AdminError(`${target.name} already holds ${before.users} users: copy only into an empty database`);
            }
            for await (const user of usersInPages(snapshot)) await insertUser(tx, user);
            for (const token of await allTokens(snapshot)) {
              const carried = {
                sealed: { digest: token.digest, sealed: token.sealed },
                created: token.created,
                expiry: token.expiry,
                name: token.name,
              };
              await insertToken(tx, token.userId, carried, { perUser: token.perUser, lastUsed: token.lastUsed });
            }
            if (fingerprint !== undefined) await recordKeyFingerprint(tx, fingerprint);
            await resetIdSequence(tx);
            const after = await counts(tx);
            if (after.users !== expected.users || after.tokens !== expected.tokens) {
              throw new AdminError(
                `copied ${after.users} users and ${after.tokens} tokens, but the source holds ${expected.users} and ${expected.tokens}: nothing was committed`,
              );
            }
            return after;
          });
        },
        { snapshot: true },
      );
      return { from: source.name, to: target.name, ...copied, verified: true };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
