import { NOT_LOGGING_IN } from "./provision.js";
import type { Outcome } from "./report.js";
import type { Row } from "./rows.js";

/** What a re-run needs of a row's last entry (tokens stay in the file). */
interface LastEntry {
  outcome: string;
  status: unknown;
  error: unknown;
  email: unknown;
  hasToken: boolean;
  password: string | undefined;
}

/** A row is known in the report by its line and username together (a duplicate username is another row). */
const keyOf = (line: number, username: string | null | undefined) => JSON.stringify([line, username ?? null]);

/**
 * What earlier runs left in the report, read by its one rule: for each row
 * (line and username together), the last entry is its current state, with
 * its token and generated password. A run settles a row once, so a later
 * entry never hides an earlier account's password or token.
 */
export class EarlierRuns {
  private readonly last = new Map<string, LastEntry>();
  /** username → the generated password the report last holds for it, for a row that moved to another line. */
  private readonly byUsername = new Map<string, string>();

  /** Folds the report's entries; anything that is not an entry (a torn line, a stray object) is passed over. */
  static async read(entries: AsyncIterable<Record<string, unknown>>): Promise<EarlierRuns> {
    const earlier = new EarlierRuns();
    for await (const entry of entries) {
      const { line, username, outcome, password } = entry;
      if (typeof line !== "number" || typeof outcome !== "string") continue;
      const name = typeof username === "string" ? username : null;
      const generated = typeof password === "string" ? password : undefined;
      earlier.last.set(keyOf(line, name), {
        outcome,
        status: entry.status,
        error: entry.error,
        email: entry.email,
        hasToken: typeof entry.token === "string",
        password: generated,
      });
      if (name !== null && generated !== undefined) earlier.byUsername.set(name, generated);
    }
    return earlier;
  }

  /**
   * The outcome with which the report already settles `row`, so it is
   * neither sent nor written again (`done earlier`), else undefined: created;
   * exists with a token; failed for a reason a retry cannot change — the same
   * local problem, or the server's refusal (400) of the same email, unless
   * the refusal was of the password (a given password is not kept, so it may
   * have been corrected).
   */
  settled(row: Row): Outcome | undefined {
    const last = this.last.get(keyOf(row.line, row.username));
    if (!last) return undefined;
    if (last.outcome === "created" || (last.outcome === "exists" && last.hasToken)) return last.outcome;
    if (last.outcome !== "failed" || typeof last.error !== "string") return undefined;
    const unchanged =
      row.problem === undefined
        ? last.status === 400 && last.email === row.email && !refusedThePassword(last.error)
        : last.status === null && last.error === row.problem;
    return unchanged ? "failed" : undefined;
  }

  /**
   * The generated password an earlier run wrote down for `row` (by its line
   * and username, else, for a row that moved, by its username): sent again,
   * never replaced, so an account it made is found and reported.
   */
  passwordFor(row: Row): string | undefined {
    const own = this.last.get(keyOf(row.line, row.username))?.password;
    if (own !== undefined || row.problem !== undefined || row.username === undefined) return own;
    return this.byUsername.get(row.username);
  }
}

function refusedThePassword(error: string): boolean {
  return /^password2?:/m.test(error) || error.includes(NOT_LOGGING_IN);
}
