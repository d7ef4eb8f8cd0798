/** Load generation (autocannon) and the processes the bench measures. */
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface Load {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
  /** Requests per second across all connections; unset = as fast as the server answers. */
  rate?: number;
}

export interface Measured {
  /** Answers per second. */
  rps: number;
  p50: number;
  p99: number;
  /** Answers whose status was not the expected one (requests cut off by the end of the run are not answers). */
  unexpected: number;
}

/** Runs one load and checks every answer had `status`. */
export async function measure(load: Load, status: number): Promise<Measured> {
  const result = await autocannon({
    url: load.url,
    method: load.method ?? "GET",
    headers: load.headers ?? {},
    ...(load.body === undefined ? {} : { body: load.body }),
    connections: load.connections,
    duration: load.seconds,
    ...(load.rate === undefined ? {} : { overallRate: load.rate }),
  });
  const answered = result.requests.total;
  const codes = result.statusCodeStats as unknown as Record<string, { count: number } | undefined>;
  const expected = codes[String(status)]?.count ?? 0;
  return { rps: answered / result.duration, p50: result.latency.p50, p99: result.latency.p99, unexpected: answered - expected };
}

export interface Spawned {
  url: string;
  stop(): Promise<void>;
}

/**
 * Spawns `args` with node, its output going to `logFile` (as a server's log
 * would in production), waits for its "listening on URL" line, and stops it
 * with SIGTERM.
 */
export async function spawnListening(args: string[], env: Record<string, string>, logFile: string): Promise<Spawned> {
  const log = openSync(logFile, "w");
  const child: ChildProcess = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", log, log] });
  closeSync(log);
  const state = { exited: false };
  child.once("exit", () => { state.exited = true; });
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (url === undefined) {
    const output = readFileSync(logFile, "utf8");
    url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    if (url === undefined && (state.exited || Date.now() > deadline)) throw new Error(`${args.join(" ")} did not start:\n${output}`);
    if (url === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** Waits until `url` answers anything. */
export async function waitForHttp(url: string, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
