import type { UserChanges } from "../api-client.js";
import type { Context } from "../context.js";
import { UsageError } from "../errors.js";
import { sanitizeLine } from "../text.js";
import { asSignedIn, whose } from "./common.js";
import { renderUser, userResult } from "./user.js";

/** `--username` is the new username: the account edited is the server's active one (`authctl switch` picks another). */
export interface UserEditOptions extends UserChanges {
  url?: string;
}

/**
 * Changes the account's username, first or last name with a PATCH of
 * dj-rest-auth's `user/` (the email is read-only there). A new username also
 * renames the stored account, whose token stays the same.
 */
export async function runUserEdit(options: UserEditOptions, ctx: Context): Promise<void> {
  const changes: UserChanges = { username: options.username, firstName: options.firstName, lastName: options.lastName };
  const given = (Object.keys(changes) as (keyof UserChanges)[]).filter((key) => changes[key] !== undefined);
  if (given.length === 0) throw new UsageError("nothing to change: give --username, --first-name or --last-name");
  await asSignedIn(ctx, options.url, undefined, async (signedIn) => {
    const user = await ctx.api.updateUser(signedIn.url, signedIn.token, changes);
    const { account } = signedIn;
    const renamed = account !== undefined && account.username !== user.username;
    if (renamed) await ctx.tokens.rename(account, user.username, signedIn.token);
    const labels: Record<keyof UserChanges, string> = { username: "username", firstName: "first name", lastName: "last name" };
    const changed = given
      .map((key) => labels[key])
      .join(", ")
      .replace(/, ([^,]+)$/, " and $1");
    ctx.out.success(`Updated the ${changed} of ${whose(signedIn)}${renamed ? `; stored here as ${sanitizeLine(user.username)} now` : ""}`);
    ctx.out.result(userResult(signedIn.url, user), renderUser(ctx, user));
  });
}
