import type { Context } from "../context.js";
import { NotLoggedIn } from "../errors.js";
import { resolveUrl } from "./common.js";

export interface SwitchOptions {
  url?: string;
  username?: string;
}

/** Makes another stored account of a server the active one. */
export async function runSwitch(options: SwitchOptions, ctx: Context): Promise<void> {
  const url = await resolveUrl(ctx, options.url);
  const accounts = await ctx.tokens.list(url);
  if (accounts.length === 0) throw new NotLoggedIn(`not logged in to ${url}`, `authctl login --url ${url}`);
  const names = accounts.map((account) => account.username);
  const username = options.username ?? (await ctx.prompter.choose(`Account to use at ${url}`, names, "--username"));
  const target = accounts.find((account) => account.username === username);
  if (!target) {
    throw new NotLoggedIn(`no stored account ${username} at ${url} (stored: ${names.join(", ")})`, `authctl login --url ${url} --username ${username}`);
  }
  await ctx.tokens.activate(target);
  ctx.out.success(`Active account at ${url} is now ${username}`);
  ctx.out.result({ url, username });
}
