import type { Context } from "../../context.js";
import { newPassword, withTarget, type AdminOptions } from "./common.js";

export interface SetPasswordOptions extends AdminOptions {
  passwordStdin?: boolean;
}

/** `authctl admin set-password NAME`: manage.py changepassword. The user's token stays valid. */
export async function runSetPassword(username: string, options: SetPasswordOptions, ctx: Context): Promise<void> {
  const password = await newPassword(ctx, username, options.passwordStdin);
  await withTarget(ctx, options, (target, server) => server.admin.changePassword(target, username, password));
  ctx.out.success(`Set a new password for ${username}`);
  ctx.out.result({ username, passwordChanged: true });
}
