import type { Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { asCliError, loadServer, serverConfig, warnIfPasswordInArgument } from "./common.js";

export interface CopyOptions {
  from?: string;
  to?: string;
  allowLiveSource?: boolean;
}

/** `authctl admin copy --from sqlite:///… --to postgres://…`: moves an embedded install to PostgreSQL, checked by counts. */
export async function runCopy(options: CopyOptions, ctx: Context): Promise<void> {
  const to = options.to ?? (ctx.env.AUTHCTL_DATABASE_URL || undefined);
  if (options.from === undefined || to === undefined) {
    throw new UsageError("--from is required, and --to unless AUTHCTL_DATABASE_URL names the target");
  }
  if (options.to !== undefined) warnIfPasswordInArgument(ctx, options.to, "--to");
  warnIfPasswordInArgument(ctx, options.from, "--from");
  const server = await loadServer();
  let summary;
  try {
    summary = await server.admin.copyDatabase(options.from, to, serverConfig(ctx, server, {}), { allowLiveSource: options.allowLiveSource === true });
  } catch (error) {
    throw asCliError(error, server);
  }
  ctx.out.success(`Copied ${summary.users} users and ${summary.tokens} tokens from ${summary.from} to ${summary.to} (counts verified)`);
  ctx.out.info("Start the servers with the same secret key (the data directory's secret.key, or AUTHCTL_SECRET_KEY) so every token keeps working.");
  ctx.out.result(summary);
}
