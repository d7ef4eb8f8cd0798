import type { Context } from "../../context.js";
import { withTarget, type AdminOptions } from "./common.js";

/** `authctl admin activate NAME` / `deactivate NAME`: sets is_active; an inactive user cannot log in and their token is refused. */
export async function runSetActive(active: boolean, username: string, options: AdminOptions, ctx: Context): Promise<void> {
  const changed = await withTarget(ctx, options, (target, server) => server.admin.changeActive(target, username, active));
  const state = active ? "active" : "inactive";
  if (changed) ctx.out.success(`${username} is now ${state}`);
  else ctx.out.info(`${username} was already ${state}; nothing changed`);
  ctx.out.result({ username, isActive: active, changed });
}
