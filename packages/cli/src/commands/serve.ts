import type { Context } from "../context.js";
import { UsageError } from "../errors.js";

export interface ServeOptions {
  host?: string;
  port?: string;
  dataDir?: string;
}

/** Runs the authctl server in this process, exactly as `npm start` does, until SIGINT or SIGTERM. */
export async function runServe(options: ServeOptions, ctx: Context, streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<void> {
  const server = await import("@authctl/server");
  const env = { ...ctx.env };
  if (options.host !== undefined) env.HOST = options.host;
  if (options.port !== undefined) env.PORT = options.port;
  if (options.dataDir !== undefined) env.AUTHCTL_DATA_DIR = options.dataDir;
  let config;
  try {
    config = server.loadConfig(env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  await server.serveUntilSignal(config, server.streamLogger(streams.stdout, streams.stderr));
}
