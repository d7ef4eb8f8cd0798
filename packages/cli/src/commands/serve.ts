import type { Context } from "../context.js";
import { UsageError } from "../errors.js";

export interface ServeOptions {
  host?: string;
  port?: string;
  dataDir?: string;
  revokeAllTokens?: boolean;
}

/** Runs the authctl server in this process, exactly as `npm start` does, until SIGINT or SIGTERM. */
export async function runServe(options: ServeOptions, ctx: Context, streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<void> {
  if (options.port !== undefined && !(/^\d+$/.test(options.port) && Number(options.port) <= 65535)) {
    throw new UsageError(`--port must be a whole number from 0 to 65535, got "${options.port}"`);
  }
  const server = await import("@authctl/server");
  const env = { ...ctx.env };
  if (options.host !== undefined) env.AUTHCTL_HOST = options.host;
  if (options.port !== undefined) env.AUTHCTL_PORT = options.port;
  if (options.dataDir !== undefined) env.AUTHCTL_DATA_DIR = options.dataDir;
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
