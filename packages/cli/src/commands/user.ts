import type { UserDetails } from "../api-client.js";
import type { Context } from "../context.js";
import { sanitizeLine } from "../text.js";
import { asSignedIn, type Credentials } from "./common.js";

export interface UserOptions {
  url?: string;
  username?: string;
}

/** The account's details as the server has them (dj-rest-auth's `user/`): pk, username, email, first and last name. */
export async function runUser(options: UserOptions, ctx: Context): Promise<void> {
  await asSignedIn(ctx, options.url, options.username, async (signedIn) => {
    const user = await ctx.api.user(signedIn.url, signedIn.token);
    warnIfRenamed(ctx, signedIn, user);
    ctx.out.result(userResult(signedIn.url, user), renderUser(ctx, user));
  });
}

/** The `--json` shape of `user` and `user edit`. */
export function userResult(url: string, user: UserDetails): object {
  return { url, ...user };
}

export function renderUser(ctx: Context, user: UserDetails): string {
  const rows: [string, string][] = [
    ["pk", String(user.pk)],
    ["username", user.username],
    ["email", user.email],
    ["first name", user.firstName],
    ["last name", user.lastName],
  ];
  return rows
    .map(([label, value]) => `${ctx.out.color.dim(label.padEnd(11))}${value === "" ? ctx.out.color.dim("(not set)") : sanitizeLine(value)}`)
    .join("\n");
}

/** A username changed elsewhere (a web page, an admin) leaves the stored account under the old one: say how to fix it. */
function warnIfRenamed(ctx: Context, { url, account }: Credentials, user: UserDetails): void {
  if (account === undefined || account.username === user.username) return;
  const name = sanitizeLine(user.username);
  ctx.out.warn(
    `the server now calls this account ${name}; it is stored here as ${account.username} (log in as ${name} to store it under that name: authctl login --url ${url} -u ${name})`,
  );
}
