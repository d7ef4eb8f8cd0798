import type { Context } from "../../context.js";
import { sanitize } from "../../text.js";
import { withTarget, type AdminOptions } from "./common.js";

/** `authctl admin list-users`: every user, read and printed page by page; never a password hash. */
export async function runListUsers(options: AdminOptions, ctx: Context): Promise<void> {
  await withTarget(ctx, options, async (target, server) => {
    let count = 0;
    if (ctx.out.json) ctx.out.data("[");
    for await (const user of server.admin.listUsers(target)) {
      if (ctx.out.json) ctx.out.data(`${count === 0 ? "\n" : ",\n"}${JSON.stringify(user)}`);
      else {
        const flags = [user.isActive ? "active" : "inactive", user.isStaff ? "staff" : "", user.isSuperuser ? "superuser" : "", user.usablePassword ? "" : "no-password"];
        const names = `${sanitize(user.firstName)}\t${sanitize(user.lastName)}`;
        ctx.out.data(`${sanitize(user.username)}\t${sanitize(user.email)}\t${flags.filter(Boolean).join(",")}\t${user.dateJoined}\t${user.lastLogin ?? "never"}\t${names}\n`);
      }
      count += 1;
    }
    if (ctx.out.json) ctx.out.data(`${count === 0 ? "" : "\n"}]\n`);
    ctx.out.info(`${count} user${count === 1 ? "" : "s"} in ${target.name}`);
  });
}
