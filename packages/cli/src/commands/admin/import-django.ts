import type { Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { sanitize } from "../../text.js";
import { warnIfPasswordInArgument, withTarget, type AdminOptions } from "./common.js";

export interface ImportDjangoOptions extends AdminOptions {
  from?: string;
}

/** `authctl admin import-django --from sqlite:///db.sqlite3`: Django's users and DRF tokens, in one transaction. */
export async function runImportDjango(options: ImportDjangoOptions, ctx: Context): Promise<void> {
  const from = options.from;
  if (from === undefined) throw new UsageError("--from is required: sqlite:///path/to/db.sqlite3 or postgres://…");
  warnIfPasswordInArgument(ctx, from, "--from");
  const summary = await withTarget(ctx, options, async (target, server) => server.admin.importDjango(target, from, await target.vault()), true);
  const { users, tokens } = summary;
  ctx.out.info(`Read ${users.read} users from ${summary.source}`);
  ctx.out.info(`  imported ${users.imported}, already there ${users.alreadyThere}, skipped ${users.skipped}`);
  ctx.out.info(`  tokens imported ${tokens.imported}, already there ${tokens.alreadyThere}`);
  for (const { username, reason } of summary.skipped) ctx.out.info(`  skipped ${sanitize(username)}: ${reason}`);
  if (summary.changed) ctx.out.success(`Imported into ${summary.target}`);
  else ctx.out.info(`Nothing changed in ${summary.target}: everything was imported before`);
  ctx.out.result(summary);
}
