import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { AUTHCTL, type CliResult } from "./cli.js";

/** A report line as `authctl register --from` writes it: a row's outcome, or its pending entry (written before a generated password is sent). */
export interface ReportEntry {
  line: number;
  username: string | null;
  outcome: "pending" | "created" | "exists" | "failed";
  status: number | null;
  error: string | null;
  token?: string;
  password?: string;
  email?: string;
}

export async function readReport(path: string): Promise<ReportEntry[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  // As the README says a reader should: a line that is not whole JSON (cut short by a kill) is passed over.
  return text.split("\n").flatMap((line) => {
    try {
      return [JSON.parse(line) as ReportEntry];
    } catch {
      return [];
    }
  });
}

/** The README's rule: each row (its line and username together) is in the state of its last entry. In the order rows first appear. */
export function currentRows(entries: ReportEntry[]): ReportEntry[] {
  const last = new Map<string, ReportEntry>();
  for (const entry of entries) last.set(JSON.stringify([entry.line, entry.username]), entry);
  return [...last.values()];
}

/** Every row's current state, by the rule, as the report on disk says. */
export async function readRows(path: string): Promise<ReportEntry[]> {
  return currentRows(await readReport(path));
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

/** `bin/authctl` with stdin left open for the test to feed, and a promise of its result. */
export function spawnCli(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 120_000,
): { child: ChildProcessWithoutNullStreams; result: Promise<CliResult> } {
  // Values can be undefined at runtime (a caller unsets a variable that way), whatever ProcessEnv says.
  const layered: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...env };
  const child = spawn(process.execPath, [AUTHCTL, ...args], {
    env: Object.fromEntries(Object.entries(layered).filter(([, value]) => value !== undefined)),
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `authctl ${args.join(" ")} did not finish within ${timeoutMs / 1000}s\nstderr: ${stderr.replace(/[0-9a-f]{40}/g, "<token>")}`,
        ),
      );
    }, timeoutMs);
    child.on("exit", (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr });
    });
  });
  return { child, result };
}

/** What a front does with a request: forward it and answer; forward it and keep the answer (the server acts, the client never hears); or hold it (the server never hears). */
export type Treatment = "pass" | "keep" | "hold";

/**
 * A front for the real server that records every request (path and
 * username) and treats each as `treat` says: what a run killed at any
 * moment sees, and what a re-run sends.
 */
export async function startFront(target: string, treat: (path: string, username: string | undefined) => Treatment = () => "pass") {
  const requests: { path: string; username: string | undefined; treatment: Treatment }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const path = request.url ?? "/";
        const username = request.method === "POST" ? (JSON.parse(body.toString() || "{}") as { username?: string }).username : undefined;
        const treatment = treat(path, username);
        requests.push({ path, username, treatment });
        if (treatment === "hold") return;
        const answer = await fetch(`${target}${path}`, {
          method: request.method ?? "GET",
          headers: { "content-type": request.headers["content-type"] ?? "application/json" },
          body: request.method === "POST" ? body : null,
        });
        const text = await answer.text();
        if (treatment === "keep") return;
        response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
        response.end(text);
      })();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const count = (treatment: Treatment) => requests.filter((request) => request.treatment === treatment).length;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    /** Requests the server acted on whose answers were kept from the client. */
    kept: () => count("keep"),
    /** Requests that never reached the server. */
    held: () => count("hold"),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Passes the first `passThrough` registrations through, then keeps the answers of the rest: the server makes those accounts, the client never hears. */
export function startAnswerKeepingFront(target: string, passThrough: number) {
  let registrations = 0;
  return startFront(target, (path) => (path === "/account/register/" && ++registrations > passThrough ? "keep" : "pass"));
}
