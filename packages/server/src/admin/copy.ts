import { allTokens, counts, insertToken, insertUser, recordFingerprint, resetIdSequence, storedFingerprint, usersInPages } from "../store/admin-queries.js";
import { AdminError } from "./admin-error.js";
import { openAdminUrl } from "./open-admin.js";

export interface CopySummary {
  from: string;
  to: string;
  users: number;
  tokens: number;
  /** Counted again in the target after the commit. */
  verified: boolean;
}

/**
 * Copies users (with their ids), tokens (sealed as they are: the same key
 * opens them) and the key fingerprint from one authctl database to an empty
 * one, in one transaction on the target, then checks the counts match.
 */
export async function copyDatabase(from: string, to: string): Promise<CopySummary> {
  const source = await openAdminUrl(from);
  try {
    const target = await openAdminUrl(to);
    try {
      const before = await counts(target.db);
      if (before.users > 0 || before.tokens > 0) {
        throw new AdminError(`${target.name} already holds ${before.users} users: copy only into an empty database`);
      }
      const expected = await counts(source.db);
      const fingerprint = await storedFingerprint(source.db);
      const tokens = await allTokens(source.db);
      await target.db.transaction(async (tx) => {
        for await (const user of usersInPages(source.db)) await insertUser(tx, user);
        for (const token of tokens) await insertToken(tx, token.userId, token, token.created);
        if (fingerprint !== undefined) await recordFingerprint(tx, fingerprint);
        await resetIdSequence(tx);
      });
      const after = await counts(target.db);
      const verified = after.users === expected.users && after.tokens === expected.tokens;
      if (!verified) {
        throw new AdminError(`copied ${after.users} users and ${after.tokens} tokens, but the source holds ${expected.users} and ${expected.tokens}`);
      }
      return { from: source.name, to: target.name, users: after.users, tokens: after.tokens, verified };
    } finally {
      await target.db.close();
    }
  } finally {
    await source.db.close();
  }
}
