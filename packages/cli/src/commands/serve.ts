import type { Context } from "../context.js";
import { UsageError } from "../errors.js";
import { importServer } from "../server-package.js";

export interface ServeOptions {
  host?: string;
  port?: string;
  dataDir?: string;
  revokeAllTokens?: boolean;
  workers?: string;
}

/** Runs the authctl server, exactly as `authctl-server` does (this process, or a cluster of `--workers`), until SIGINT or SIGTERM. */
export async function runServe(
  options: ServeOptions,
  ctx: Context,
  streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<void> {
  const server = await importServer("authctl serve");
  let config;
  try {
    // The flags go to the server's settings as they are: it checks them with the environment, once.
    config = server.loadConfig(ctx.env, options);
  } catch (error) {
    if (error instanceof server.SettingsError) throw new UsageError(error.message);
    throw error;
  }
  try {
    await server.serveUntilSignal(config, server.streamLogger(streams.stdout, streams.stderr));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    throw new UsageError(`${config.host}:${config.port} is already in use`, "choose another port with --port");
  }
}
