import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { AUTHCTL, type CliResult } from "./cli.js";

/** A report line as `authctl register --from` writes it. */
export interface ReportEntry {
  line: number;
  username: string | null;
  outcome: "created" | "exists" | "failed";
  status: number | null;
  error: string | null;
  token?: string;
  password?: string;
}

export async function readReport(path: string): Promise<ReportEntry[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as ReportEntry);
}

/** Complete lines in the report so far (a line being written is not counted). */
export async function reportLines(path: string): Promise<number> {
  try {
    return (await readFile(path, "utf8")).split("\n").length - 1;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}

/** The entry without its secrets, safe to compare (and print) in an assertion. */
export const withoutSecrets = ({ token: _token, password: _password, ...rest }: ReportEntry) => rest;

/** Polls until `check` holds: waiting for a state, never for a fixed time. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** `bin/authctl` with stdin left open for the test to feed, and a promise of its result. */
export function spawnCli(args: string[], env: Record<string, string | undefined>, timeoutMs = 120_000): { child: ChildProcessWithoutNullStreams; result: Promise<CliResult> } {
  // Values can be undefined at runtime (a caller unsets a variable that way), whatever ProcessEnv says.
  const layered: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...env };
  const child = spawn(process.execPath, [AUTHCTL, ...args], { env: Object.fromEntries(Object.entries(layered).filter(([, value]) => value !== undefined)) });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`authctl ${args.join(" ")} did not finish within ${timeoutMs / 1000}s\nstderr: ${stderr.replace(/[0-9a-f]{40}/g, "<token>")}`));
    }, timeoutMs);
    child.on("exit", (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr });
    });
  });
  return { child, result };
}

/**
 * A front for the real server that passes the first `passThrough`
 * registrations through, then forwards the rest and keeps their answers: the
 * server makes those accounts, the client never hears of them. What a run
 * killed at the worst moment sees.
 */
export async function startAnswerKeepingFront(target: string, passThrough: number) {
  let registrations = 0;
  let kept = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void (async () => {
        const answer = await fetch(`${target}${request.url ?? "/"}`, {
          method: request.method ?? "GET",
          headers: { "content-type": request.headers["content-type"] ?? "application/json" },
          body: request.method === "POST" ? Buffer.concat(chunks) : null,
        });
        const body = await answer.text();
        if (request.url === "/account/register/" && ++registrations > passThrough) {
          kept++;
          return;
        }
        response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
        response.end(body);
      })();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Registrations the server answered whose answers were kept from the client. */
    kept: () => kept,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
