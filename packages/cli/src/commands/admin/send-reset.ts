import type { Context } from "../../context.js";
import { sanitize } from "../../text.js";
import { withTarget, type AdminOptions } from "./common.js";

/** `authctl admin send-reset NAME`: the reset mail, sent now; the link itself is never printed. */
export async function runSendReset(username: string, options: AdminOptions, ctx: Context): Promise<void> {
  const sent = await withTarget(ctx, options, (target, server) => server.admin.sendReset(target, username));
  ctx.out.success(`Sent a password reset link to ${sanitize(sent.username)} at ${sanitize(sent.email)}`);
  ctx.out.result({ username: sent.username, email: sent.email, sent: true });
}
