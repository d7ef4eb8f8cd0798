import type { Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { newPassword, withTarget, type AdminOptions } from "./common.js";

export interface CreateUserOptions extends AdminOptions {
  email?: string;
  staff?: boolean;
  superuser?: boolean;
  passwordStdin?: boolean;
}

/** `authctl admin create-user NAME`: manage.py createuser/createsuperuser. */
export async function runCreateUser(username: string, options: CreateUserOptions, ctx: Context): Promise<void> {
  const email = options.email ?? (await ctx.prompter.text("Email", "--email"));
  if (email === "") throw new UsageError("--email must not be empty");
  const password = await newPassword(ctx, username, options.passwordStdin);
  const user = await withTarget(ctx, options, (target, server) =>
    server.admin.createUser(target, {
      username,
      email,
      password,
      isStaff: options.staff === true || options.superuser === true,
      isSuperuser: options.superuser === true,
    }),
    true,
  );
  const role = user.isSuperuser ? "superuser" : user.isStaff ? "staff user" : "user";
  ctx.out.success(`Created ${role} ${user.username} <${user.email}>`);
  ctx.out.result({ created: user });
}
