import { assertSafeForPassword } from "../base-url.js";
import type { Context } from "../context.js";
import { readSecretLines } from "../stdin.js";
import { asSignedIn, whose } from "./common.js";
import { askNewPassword } from "./credentials.js";

export interface PasswordChangeOptions {
  url?: string;
  username?: string;
  passwordStdin?: boolean;
  insecureHttp?: boolean;
}

/** What `--password-stdin` reads, one a line. */
const CHANGE_STDIN = ["the current password", "the new one"] as const;

/**
 * Changes the password of the stored account (or of AUTHCTL_TOKEN's) with
 * dj-rest-auth's `password/change/`: the current password, and the new one
 * asked twice and compared here. DRF keeps the token through a password
 * change, so the stored token goes on working, here and on every other client.
 */
export async function runPasswordChange(options: PasswordChangeOptions, ctx: Context): Promise<void> {
  await asSignedIn(ctx, options.url, options.username, async (signedIn) => {
    const { url, token, account } = signedIn;
    await assertSafeForPassword(url, options.insecureHttp === true);
    const piped = options.passwordStdin
      ? await readSecretLines(
          ctx.stdin,
          CHANGE_STDIN,
          "--password-stdin",
          `printf '%s\\n' "$OLD" "$NEW" | authctl password change --password-stdin`,
        )
      : undefined;
    ctx.out.info(`Changing the password of ${whose(signedIn)}`);
    await ctx.api.offers(url, "passwordChange", token);
    const [oldPassword, newPassword, newPasswordAgain] = piped
      ? [piped[0], piped[1], piped[1]]
      : [await ctx.prompter.secret("Current password", "--password-stdin"), ...(await askNewPassword(ctx, "New password"))];
    const detail = await ctx.api.changePassword(url, token, { oldPassword, newPassword, newPasswordAgain });
    ctx.out.success(`Changed the password of ${whose(signedIn)}`);
    ctx.out.info(
      "The token keeps working, here and on every other client of the account: DRF keeps it when the password changes (to revoke it too: authctl logout)",
    );
    ctx.out.result({ url, username: account?.username ?? null, detail });
  });
}
