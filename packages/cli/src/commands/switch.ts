import type { Context } from "../context.js";
import { NotLoggedIn } from "../errors.js";
import type { StoredAccount } from "../secrets/token-store.js";
import { resolveAccount, resolveUrl, urlGiven } from "./common.js";

export interface SwitchOptions {
  url?: string;
  username?: string;
}

/**
 * Makes another stored account the current one (and its server the current
 * server). With exactly one account besides the current one it switches to
 * it directly; otherwise it asks, marking the current account.
 */
export async function runSwitch(options: SwitchOptions, ctx: Context): Promise<void> {
  const scoped = urlGiven(ctx, options.url);
  const url = scoped ? await resolveUrl(ctx, options.url) : undefined;
  const accounts = await ctx.tokens.list(url);
  if (accounts.length === 0)
    throw new NotLoggedIn(url ? `not logged in to ${url}` : "not logged in to any server", `authctl login --url ${url ?? "<server>"}`);
  const target = options.username === undefined ? await choose(ctx, accounts) : await named(ctx, accounts, options, url);
  await ctx.tokens.activate(target);
  ctx.out.success(`Switched to ${target.username} at ${target.url}; it is now the current account`);
  ctx.out.result({ url: target.url, username: target.username });
}

async function named(ctx: Context, accounts: StoredAccount[], options: SwitchOptions, url: string | undefined): Promise<StoredAccount> {
  const username = options.username ?? "";
  if (url === undefined) return resolveAccount(ctx, undefined, username);
  const target = accounts.find((account) => account.username === username);
  if (target) return target;
  const names = accounts.map((account) => account.username).join(", ");
  throw new NotLoggedIn(`no stored account ${username} at ${url} (stored: ${names})`, `authctl login --url ${url} --username ${username}`);
}

async function choose(ctx: Context, accounts: StoredAccount[]): Promise<StoredAccount> {
  const isCurrent = (account: StoredAccount) => account.active && account.current;
  const [other, ...more] = accounts.filter((account) => !isCurrent(account));
  if (other && more.length === 0) return other;
  const choices = accounts.map((account, index) => ({
    name: `${account.username} at ${account.url}${isCurrent(account) ? " (current)" : ""}`,
    value: String(index),
  }));
  const picked = accounts[Number(await ctx.prompter.choose("Account to switch to", choices, "--username"))];
  if (!picked) throw new NotLoggedIn("no account chosen");
  return picked;
}
