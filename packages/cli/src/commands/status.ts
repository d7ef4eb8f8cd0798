import type { TokenCheck } from "../api-client.js";
import { normalizeBaseUrl } from "../base-url.js";
import type { Context } from "../context.js";
import { CliError, ExitCode, NotLoggedIn, type ExitCodeValue } from "../errors.js";
import { sanitizeLine } from "../text.js";
import { expiredToken, resolveUrl, TOKEN_ENV, tokenFromEnv } from "./common.js";
import { expiresIn } from "./tokens.js";

export interface StatusOptions {
  url?: string;
}

type State = TokenCheck["state"] | "expired" | "unreachable" | "unreadable";

/** DRF's answer to the token of a deactivated (or deleted) user. */
const INACTIVE = "User inactive or deleted.";

interface Row {
  url: string;
  username: string | null;
  active: boolean;
  /** The current server (where commands go without --url). */
  current: boolean;
  /** Where the token comes from: keychain, file, or AUTHCTL_TOKEN. */
  source: string;
  location: string;
  state: State;
  /** When the token expires, where the server says (null: never; absent: the server cannot say); when it expired, for an expired one. */
  expiry?: string | null;
  detail?: string;
  /** What to run when the token is not accepted. */
  fix?: string;
}

/**
 * Every stored account (or those of --url), the current server first, where
 * each token is kept, and whether the server still accepts it. Exits 1 when
 * any token is rejected or cannot be checked, 4 when nothing is stored.
 */
export async function runStatus(options: StatusOptions, ctx: Context): Promise<ExitCodeValue> {
  const envToken = tokenFromEnv(ctx);
  const rows = envToken === undefined ? await storedRows(options, ctx) : [await envRow(options, ctx, envToken)];
  const problems = rows.filter((row) => row.state !== "accepted").length;
  ctx.out.result({ accounts: rows }, render(rows, ctx));
  return problems > 0 ? ExitCode.refused : ExitCode.ok;
}

async function envRow(options: StatusOptions, ctx: Context, token: string): Promise<Row> {
  const url = await resolveUrl(ctx, options.url);
  const outcome = await checkToken(ctx, url, () => Promise.resolve(token));
  const username = outcome.state === "accepted" ? (outcome.account?.username ?? null) : null;
  const fix = outcome.state === "accepted" ? undefined : `set ${TOKEN_ENV} to a valid token, or unset it`;
  return {
    url,
    username,
    active: true,
    current: true,
    source: TOKEN_ENV,
    location: `the ${TOKEN_ENV} environment variable`,
    ...describe(outcome),
    fix,
  };
}

async function storedRows(options: StatusOptions, ctx: Context): Promise<Row[]> {
  const url = options.url === undefined ? undefined : normalizeBaseUrl(options.url);
  const accounts = await ctx.tokens.list(url);
  if (accounts.length === 0) {
    throw new NotLoggedIn(url ? `not logged in to ${url}` : "not logged in to any server", `authctl login --url ${url ?? "<server>"}`);
  }
  return Promise.all(
    accounts.map(async (account) => {
      const checked = await checkToken(ctx, account.url, () => ctx.tokens.read(account));
      // A rejection after the expiry the server gave at login is the expiry.
      const outcome: Outcome =
        checked.state === "rejected" && expiredToken(account) ? { state: "expired", expiry: account.expiry } : checked;
      const location = ctx.tokens.describe(account.storage);
      const login = `authctl login --url ${account.url} --username ${account.username}`;
      const inactive = "detail" in outcome && outcome.detail === INACTIVE;
      const fix = inactive
        ? "the account is deactivated on the server: an administrator can reactivate it (authctl admin activate on the server's machine), then log in again"
        : ["rejected", "expired", "unreadable"].includes(outcome.state)
          ? login
          : undefined;
      return {
        url: account.url,
        username: account.username,
        active: account.active,
        current: account.current,
        source: account.storage,
        location,
        ...describe(outcome),
        fix,
      };
    }),
  );
}

type Outcome =
  | (TokenCheck & { expiry?: string | null })
  | { state: "expired"; expiry?: string | null }
  | { state: "unreachable" | "unreadable"; detail: string };

async function checkToken(ctx: Context, url: string, token: () => Promise<string>): Promise<Outcome> {
  let value: string;
  try {
    value = await token();
  } catch (error) {
    if (error instanceof CliError) return { state: "unreadable", detail: error.message };
    throw error;
  }
  try {
    const check = await ctx.api.check(url, value);
    return check.state === "accepted" ? { ...check, ...(await expiryOf(ctx, url, value)) } : check;
  } catch (error) {
    if (error instanceof CliError) return { state: "unreachable", detail: error.message };
    throw error;
  }
}

/** The token's expiry from the server's token list; nothing where the server has none (DRF). */
async function expiryOf(ctx: Context, url: string, token: string): Promise<{ expiry?: string | null }> {
  try {
    const mine = (await ctx.api.tokens(url, token)).find((each) => each.current);
    return mine ? { expiry: mine.expiry } : {};
  } catch (error) {
    if (error instanceof CliError) return {};
    throw error;
  }
}

function describe(outcome: Outcome): { state: State; detail?: string; expiry?: string | null } {
  if ("detail" in outcome) return { state: outcome.state, detail: sanitizeLine(outcome.detail) };
  return "expiry" in outcome && outcome.expiry !== undefined ? { state: outcome.state, expiry: outcome.expiry } : { state: outcome.state };
}

function expiryLine(expiry: string | null): string {
  if (expiry === null) return "the token does not expire";
  const when = expiresIn(expiry, Date.now());
  return when === "expired" ? `the token expired at ${expiry}` : `the token expires ${when} (${expiry})`;
}

function render(rows: Row[], ctx: Context): string {
  const { color } = ctx.out;
  const verdicts: Record<State, string> = {
    accepted: color.green("✓ token accepted by the server"),
    rejected: color.red("✗ token rejected by the server"),
    expired: color.red("✗ token expired"),
    unreachable: color.red("✗ could not check the token"),
    unreadable: color.red("✗ could not read the token"),
  };
  const lines: string[] = [];
  for (const url of new Set(rows.map((row) => row.url))) {
    const group = rows.filter((row) => row.url === url);
    lines.push(`${color.bold(url)}${group.some((row) => row.current) ? color.cyan(" (current server)") : ""}`);
    for (const row of group) {
      lines.push(`  ${row.username ?? "(unknown account)"}${row.active ? color.cyan(" (active)") : ""}`);
      lines.push(`    token in ${row.source === "file" ? color.yellow(row.location) : row.location}`);
      lines.push(`    ${verdicts[row.state]}${row.detail ? `: ${row.detail}` : ""}`);
      if (row.expiry !== undefined) lines.push(`    ${expiryLine(row.expiry)}`);
      if (row.fix) lines.push(`    ${color.dim("fix:")} ${row.fix}`);
    }
  }
  return lines.join("\n");
}
