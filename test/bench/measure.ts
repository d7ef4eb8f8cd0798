/**
 * Load generation and the processes the bench measures. The load comes from
 * a separate process, pinned to its own core(s) with taskset where there is
 * more than one: wrk (Debian's `wrk` package) for throughput, autocannon's
 * CLI for a fixed request rate (wrk cannot pace) or where wrk is missing.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export interface Load {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
  /** Requests per second across all connections; unset = as fast as the server answers. */
  rate?: number;
  /** The generator's threads (wrk's -t); 1 unless given. */
  threads?: number;
  /** Cores the generator is pinned to (taskset -c), unless unset. */
  cores?: string;
  /** Every request presents a token nobody has (`Authorization: Token <random>`), as a flood of guesses would. */
  randomTokens?: boolean;
}

export interface Measured {
  /** Answers per second. */
  rps: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  /** Answers whose status class was not the expected one (requests cut off by the end of the run are not answers). */
  unexpected: number;
}

/** An executable on PATH, or undefined. */
export function tool(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const WRK = tool("wrk");
export const TASKSET = tool("taskset");
/** autocannon in a process of its own, pinned like wrk, its load given on stdin. */
const AUTOCANNON_CHILD = fileURLToPath(new URL("./autocannon-child.mjs", import.meta.url));

/**
 * Which cores the generator and a one-process server get: the generator core
 * 0, the server core 1. Undefined where they cannot be kept apart (one core,
 * or no taskset): everything then runs unpinned.
 */
export const PINNING = TASKSET !== undefined && availableParallelism() >= 2 ? { generator: "0", server: "1" } : undefined;

/** `command args` run under `taskset -c cores` when pinning is possible and asked for. */
export function pinned(cores: string | undefined, command: string, args: string[]): [string, string[]] {
  return cores === undefined || TASKSET === undefined ? [command, args] : [TASKSET, ["-c", cores, command, ...args]];
}

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "authctl-bench-load-"));
process.once("exit", () => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs one load in its own process and counts the answers of the wrong status class. */
export async function measure(load: Load, status: number): Promise<Measured> {
  return WRK !== undefined && load.rate === undefined ? withWrk(WRK, load, status) : withAutocannon(load, status);
}

/** A Lua string literal for ASCII text. */
function lua(text: string): string {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error(`not printable ASCII: ${text}`);
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

let scripts = 0;

async function withWrk(wrk: string, load: Load, status: number): Promise<Measured> {
  const script = join(scratch, `load-${scripts++}.lua`);
  const lines = [`wrk.method = ${lua(load.method ?? "GET")}`];
  if (load.body !== undefined) lines.push(`wrk.body = ${lua(load.body)}`);
  for (const [name, value] of Object.entries(load.headers ?? {})) lines.push(`wrk.headers[${lua(name)}] = ${lua(value)}`);
  if (load.randomTokens === true) {
    lines.push(
      // 40 hex digits (a DRF key's shape), new for every request.
      "request = function()",
      '  wrk.headers["Authorization"] = string.format("Token %08x%08x%08x%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))',
      "  return wrk.format()",
      "end",
    );
  }
  // It may hold the bench user's token.
  writeFileSync(script, `${lines.join("\n")}\n`, { mode: 0o600 });
  const args = [
    "-t",
    String(load.threads ?? 1),
    "-c",
    String(load.connections),
    "-d",
    `${load.seconds}s`,
    "--latency",
    "-s",
    script,
    load.url,
  ];
  const [command, argv] = pinned(load.cores, wrk, args);
  const { stdout } = await run(command, argv, { maxBuffer: 1 << 20 });
  const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? Number.NaN);
  const total = number(/(\d+) requests in/);
  const rps = number(/Requests\/sec:\s+([\d.]+)/);
  if (!Number.isFinite(total) || !Number.isFinite(rps)) throw new Error(`wrk gave no rate:\n${stdout}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)$`, "m").exec(stdout);
    if (!match) return Number.NaN;
    return Number(match[1]) * ({ us: 0.001, ms: 1, s: 1000 } as const)[match[2] as "us" | "ms" | "s"];
  };
  return { rps, p50: percentile("50"), p99: percentile("99"), unexpected: status < 400 ? non2xx : total - non2xx };
}

async function withAutocannon(load: Load, status: number): Promise<Measured> {
  const options = {
    url: load.url,
    connections: load.connections,
    duration: load.seconds,
    method: load.method ?? "GET",
    headers: {
      ...load.headers,
      // autocannon puts a random id where [<id>] is written.
      ...(load.randomTokens === true ? { authorization: "Token [<id>]" } : {}),
    },
    ...(load.randomTokens === true ? { idReplacement: true } : {}),
    ...(load.body === undefined ? {} : { body: load.body }),
    ...(load.rate === undefined ? {} : { overallRate: load.rate }),
  };
  const [command, argv] = pinned(load.cores, process.execPath, [AUTOCANNON_CHILD]);
  const child = spawn(command, argv, { stdio: ["pipe", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stdin.end(JSON.stringify(options));
  const [code] = (await once(child, "close")) as [number | null];
  if (code !== 0) throw new Error(`autocannon exited with ${code}`);
  const result = JSON.parse(stdout) as {
    requests: { total: number };
    duration: number;
    latency: { p50: number; p99: number };
    non2xx: number;
  };
  const total = result.requests.total;
  return {
    rps: total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    unexpected: status < 400 ? result.non2xx : total - result.non2xx,
  };
}

export interface Spawned {
  url: string;
  stop(): Promise<void>;
}

/**
 * Spawns `command args` (pinned to `cores` when given), its output going to
 * `logFile` (as a server's log would in production), waits for its
 * "listening on URL" line (or `url` answering, when given), and stops it with
 * SIGTERM to its process group.
 */
export async function spawnListening(
  command: string,
  args: string[],
  env: Record<string, string>,
  logFile: string,
  options: { cores?: string; url?: string } = {},
): Promise<Spawned> {
  const log = openSync(logFile, "w");
  const [file, argv] = pinned(options.cores, command, args);
  const child: ChildProcess = spawn(file, argv, { env: { ...process.env, ...env }, stdio: ["ignore", log, log], detached: true });
  closeSync(log);
  const state = { exited: false };
  child.once("exit", () => {
    state.exited = true;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = once(child, "exit");
    process.kill(-child.pid, "SIGTERM");
    await exited;
  };
  const deadline = Date.now() + 60_000;
  let url = options.url;
  try {
    if (url !== undefined) await waitForHttp(url, 60, () => state.exited);
    while (url === undefined) {
      const output = readFileSync(logFile, "utf8");
      url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url === undefined && (state.exited || Date.now() > deadline))
        throw new Error(`${[command, ...args].join(" ")} did not start:\n${output}`);
      if (url === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: url.replace(/\/$/, ""), stop };
}

/** Waits until `url` answers anything. */
export async function waitForHttp(url: string, seconds = 60, gaveUp: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch (error) {
      if (gaveUp()) throw new Error(`${url}: the server exited before answering`);
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
