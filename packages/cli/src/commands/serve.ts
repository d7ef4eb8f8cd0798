import type { Context } from "../context.js";
import { UsageError } from "../errors.js";

export interface ServeOptions {
  host?: string;
  port?: string;
  dataDir?: string;
  revokeAllTokens?: boolean;
  workers?: string;
}

/** Runs the authctl server, exactly as `npm start` does (this process, or a cluster of `--workers`), until SIGINT or SIGTERM. */
export async function runServe(options: ServeOptions, ctx: Context, streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<void> {
  if (options.port !== undefined && !(/^\d+$/.test(options.port) && Number(options.port) <= 65535)) {
    throw new UsageError(`--port must be a whole number from 0 to 65535, got "${options.port}"`);
  }
  if (options.workers !== undefined && !(/^\d+$/.test(options.workers) && Number(options.workers) >= 1)) {
    throw new UsageError(`--workers must be a whole number, 1 or more, got "${options.workers}"`);
  }
  const server = await import("@authctl/server");
  const env = { ...ctx.env };
  if (options.host !== undefined) env.AUTHCTL_HOST = options.host;
  if (options.port !== undefined) env.AUTHCTL_PORT = options.port;
  if (options.dataDir !== undefined) env.AUTHCTL_DATA_DIR = options.dataDir;
  if (options.workers !== undefined) env.AUTHCTL_WORKERS = options.workers;
  let config;
  try {
    config = server.loadConfig(env, options.revokeAllTokens ? ["--revoke-all-tokens"] : []);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  try {
    await server.serveUntilSignal(config, server.streamLogger(streams.stdout, streams.stderr));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    throw new UsageError(`${config.host}:${config.port} is already in use`, "choose another port with --port");
  }
}
