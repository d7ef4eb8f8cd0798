import type { ServerToken } from "../api-client.js";
import type { Context } from "../context.js";
import { UsageError } from "../errors.js";
import { asSignedIn, whose } from "./common.js";

export interface TokensOptions {
  url?: string;
  username?: string;
}

/** `authctl tokens`: the account's live tokens on the server, one per device where the server keeps one per login. */
export async function runTokens(options: TokensOptions, ctx: Context): Promise<void> {
  await asSignedIn(ctx, options.url, options.username, async (signedIn) => {
    const tokens = await ctx.api.tokens(signedIn.url, signedIn.token);
    ctx.out.result({ url: signedIn.url, tokens }, renderTokens(ctx, tokens, Date.now()));
  });
}

export interface TokenRevokeOptions extends TokensOptions {
  id: string;
}

/** `authctl tokens revoke ID`: ends one device's token. */
export async function runTokenRevoke(options: TokenRevokeOptions, ctx: Context): Promise<void> {
  if (!/^[1-9][0-9]{0,9}$/.test(options.id)) throw new UsageError(`the token ID is a number from authctl tokens, got "${options.id}"`);
  const id = Number(options.id);
  await asSignedIn(ctx, options.url, options.username, async (signedIn) => {
    await ctx.api.revokeToken(signedIn.url, signedIn.token, id);
    ctx.out.success(`Revoked token ${id} of ${whose(signedIn)}`);
    ctx.out.result({ url: signedIn.url, id, revoked: true });
  });
}

function renderTokens(ctx: Context, tokens: ServerToken[], now: number): string {
  const { color } = ctx.out;
  const rows = tokens.map((token) => [
    String(token.id),
    token.name === "" ? "(unnamed)" : token.name,
    token.created.slice(0, 16).replace("T", " "),
    token.lastUsed === null ? "—" : token.lastUsed.slice(0, 16).replace("T", " "),
    expiresIn(token.expiry, now),
    token.current ? "← this one" : "",
  ]);
  const header = ["ID", "NAME", "CREATED", "LAST USED", "EXPIRES", ""];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [color.dim(line(header)), ...rows.map(line)].join("\n");
}

/** `in 10 h`, `in 3 d` (to the nearest unit), `expired`, or `never`, as `gh auth status` says it. */
export function expiresIn(expiry: string | null, now: number): string {
  if (expiry === null) return "never";
  const left = Date.parse(expiry) - now;
  if (!(left > 0)) return "expired";
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
  ];
  for (const [size, unit] of units) if (left >= size) return `in ${Math.round(left / size)} ${unit}`;
  return `in ${Math.ceil(left / 1000)} s`;
}
