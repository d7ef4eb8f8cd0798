import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import {
  BcryptSha256Hasher,
  createApp,
  TokenVault,
  type AccountStore,
  type AppConfig,
  type AppDeps,
  type Logger,
} from "../../packages/server/src/index.js";
import type { Mailer } from "../../packages/server/src/mail/mailer.js";
import { openAccountStore } from "./database.js";
import { tempDir } from "./temp.js";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";

export const SERVER_MAIN = fileURLToPath(new URL("../../packages/server/dist/main.js", import.meta.url));
export const TEST_BCRYPT_COST = 4;

export interface InProcessServer {
  url: string;
  deps: AppDeps;
  store: AccountStore;
  close(): Promise<void>;
}

/** The real app on a real SQLite file in a temp dir, listening on a free port in this process. */
export async function startInProcess(
  options: { log?: Logger; cost?: number; config?: Partial<AppConfig>; lockTimeoutMs?: number; mailer?: Mailer } = {},
): Promise<InProcessServer> {
  const dir = await tempDir();
  const store = await openAccountStore({ dataDir: dir.path }, { lockTimeoutMs: options.lockTimeoutMs ?? 5000 });
  const deps: AppDeps = {
    store,
    hasher: new BcryptSha256Hasher(options.cost ?? TEST_BCRYPT_COST),
    tokens: new TokenVault(randomBytes(32)),
    config: options.config ?? {},
    ...(options.log ? { log: options.log } : {}),
    ...(options.mailer ? { mailer: options.mailer } : {}),
  };
  const handle = createApp(deps).callback();
  const server: Server = createServer((request, response) => void handle(request, response));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    store,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      await dir.remove();
    },
  };
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code once the process has ended and all its output is in, whenever that happened. */
  closed: Promise<number | null>;
  /** Sends SIGTERM and resolves as `closed` does; at once with the exit code if the process has ended already. */
  stop(): Promise<number | null>;
}

const START_GUARD_MS = 90_000;

/** The built server (`npm start`'s entry point, or `entry` such as `authctl serve`) as a child process on a free port. */
export async function spawnServer(
  env: Record<string, string>,
  args: string[] = [],
  { ownProcessGroup = false, entry = [SERVER_MAIN] } = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...entry, ...args], {
    env: { ...process.env, AUTHCTL_PORT: "0", AUTHCTL_HOST: "127.0.0.1", AUTHCTL_BCRYPT_COST: String(TEST_BCRYPT_COST), ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // A group of its own, so a test can signal the whole group as systemd does.
    detached: ownProcessGroup,
  });
  let output = "";
  // Listened for from the start: a test that awaits the end after it happened still gets it.
  // "close", not "exit": the last lines may still be in the pipes when the process ends.
  const closed = once(child, "close").then(([code]) => code as number | null);
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    // A guard against a server that never starts, not a measurement: a machine busy with other
    // tests (load 9 seen) takes many seconds to start node and its workers, so the bound is generous.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start within ${START_GUARD_MS} ms:\n${output}`));
    }, START_GUARD_MS);
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", check);
    child.once("exit", () => {
      clearTimeout(timer);
      reject(new Error(`server exited:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    closed,
    stop: () => {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      child.kill("SIGTERM");
      return closed;
    },
  };
}

/** POSTs JSON (or nothing) and returns status, headers and parsed body. */
export async function post(
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const init: RequestInit = { method: "POST", headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? "" : JSON.parse(text) };
}

export function registration(username: string, password = "s3cret-pw") {
  return { username, email: `${username}@example.com`, password, password2: password };
}
