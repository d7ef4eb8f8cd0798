import type { TokenCheck } from "../api-client.js";
import { normalizeBaseUrl } from "../base-url.js";
import type { Context } from "../context.js";
import { CliError, ExitCode, NotLoggedIn, type ExitCodeValue } from "../errors.js";
import { resolveUrl, TOKEN_ENV, tokenFromEnv } from "./common.js";

export interface StatusOptions {
  url?: string;
}

type State = TokenCheck["state"] | "unreachable" | "unreadable";

interface Row {
  url: string;
  username: string;
  active: boolean;
  /** Where the token comes from: keychain, file, or AUTHCTL_TOKEN. */
  source: string;
  location: string;
  state: State;
  detail?: string;
}

/**
 * Every stored account (or those of --url), where its token is kept, and
 * whether the server still accepts it. Exits 1 when any token is rejected or
 * cannot be checked, 4 when nothing is stored.
 */
export async function runStatus(options: StatusOptions, ctx: Context): Promise<ExitCodeValue> {
  const rows = tokenFromEnv(ctx) ? [await envRow(options, ctx)] : await storedRows(options, ctx);
  const problems = rows.filter((row) => row.state !== "accepted" && row.state !== "uncheckable").length;
  ctx.out.result({ accounts: rows }, render(rows, ctx));
  return problems > 0 ? ExitCode.refused : ExitCode.ok;
}

async function envRow(options: StatusOptions, ctx: Context): Promise<Row> {
  const url = await resolveUrl(ctx, options.url);
  const check = await checkToken(ctx, url, async () => tokenFromEnv(ctx) ?? "");
  const username = check.state === "accepted" ? check.account.username : "(unknown)";
  return { url, username, active: true, source: TOKEN_ENV, location: `the ${TOKEN_ENV} environment variable`, ...describe(check) };
}

async function storedRows(options: StatusOptions, ctx: Context): Promise<Row[]> {
  const url = options.url === undefined ? undefined : normalizeBaseUrl(options.url);
  const accounts = await ctx.tokens.list(url);
  if (accounts.length === 0) {
    throw new NotLoggedIn(url ? `not logged in to ${url}` : "not logged in to any server", "authctl login --url <server>");
  }
  return Promise.all(
    accounts.map(async (account) => {
      const check = await checkToken(ctx, account.url, () => ctx.tokens.read(account));
      const location = ctx.tokens.describe(account.storage);
      return { url: account.url, username: account.username, active: account.active, source: account.storage, location, ...describe(check) };
    }),
  );
}

type Outcome = TokenCheck | { state: "unreachable" | "unreadable"; detail: string };

async function checkToken(ctx: Context, url: string, token: () => Promise<string>): Promise<Outcome> {
  let value: string;
  try {
    value = await token();
  } catch (error) {
    if (error instanceof CliError) return { state: "unreadable", detail: error.message };
    throw error;
  }
  try {
    return await ctx.api.check(url, value);
  } catch (error) {
    if (error instanceof CliError) return { state: "unreachable", detail: error.message };
    throw error;
  }
}

function describe(outcome: Outcome): { state: State; detail?: string } {
  return "detail" in outcome ? { state: outcome.state, detail: outcome.detail } : { state: outcome.state };
}

function render(rows: Row[], ctx: Context): string {
  const { color } = ctx.out;
  const verdicts: Record<State, string> = {
    accepted: color.green("✓ token accepted by the server"),
    rejected: color.red("✗ token rejected by the server"),
    uncheckable: color.yellow("? the server cannot check tokens (no /account/me/)"),
    unreachable: color.red("✗ could not check the token"),
    unreadable: color.red("✗ could not read the token"),
  };
  const lines: string[] = [];
  for (const url of new Set(rows.map((row) => row.url))) {
    lines.push(color.bold(url));
    for (const row of rows.filter((r) => r.url === url)) {
      lines.push(`  ${row.username}${row.active ? color.cyan(" (active)") : ""}`);
      lines.push(`    token in ${row.location}${row.source === "file" ? color.yellow(" — plaintext") : ""}`);
      lines.push(`    ${verdicts[row.state]}${row.detail ? `: ${row.detail}` : ""}`);
    }
  }
  return lines.join("\n");
}
