import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { post, registration } from "./http.js";
import { tempDir, uniqueName } from "./temp.js";

export const AUTHCTL = fileURLToPath(new URL("../../bin/authctl", import.meta.url));

export interface CliResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `bin/authctl` with no terminal. `env` is layered over this
 * process's environment (so the keyring session's D-Bus address is kept);
 * a value of `undefined` removes a variable.
 */
export function runCli(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Promise<CliResult> {
  const layered: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...options.env };
  const env = Object.fromEntries(Object.entries(layered).filter(([, value]) => value !== undefined));
  const child = spawn(process.execPath, [AUTHCTL, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.input ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      const redact = (text: string) => text.replace(/[0-9a-f]{40}/g, "<token>");
      reject(new Error(`authctl ${args.join(" ")} did not finish within 30s\nstdout: ${redact(stdout)}\nstderr: ${redact(stderr)}`));
    }, 30_000);
    child.on("exit", (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr });
    });
  });
}

/**
 * The server the CLI tests talk to: ours, started fresh, or the one named by
 * AUTHCTL_E2E_URL (e.g. the DRF reference) so the same tests can run against it.
 */
export interface TestServer {
  url: string;
  /** False for servers without our `GET /account/me/` (the DRF reference). */
  hasMe: boolean;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const external = process.env.AUTHCTL_E2E_URL;
  if (external) return { url: external.replace(/\/$/, ""), hasMe: false, close: async () => {} };
  const dir = await tempDir();
  try {
    const server = await serveInChild(dir.path);
    return { url: server.url, hasMe: true, close: async () => { await server.stop(); await dir.remove(); } };
  } catch (error) {
    await dir.remove();
    throw error;
  }
}

/** The real server, started as users do: `authctl serve` on a free port, until SIGTERM. */
async function serveInChild(dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [AUTHCTL, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir], {
    env: { ...process.env, AUTHCTL_BCRYPT_COST: "4" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", () => { reject(new Error(`authctl serve exited:\n${output}`)); });
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** A private config dir for one test, as `AUTHCTL_CONFIG_DIR`. */
export async function configDir() {
  return tempDir("authctl-config-");
}

/** Registers straight through the API (not the CLI) and returns the name and token. */
export async function registerDirectly(url: string): Promise<{ username: string; token: string }> {
  const username = uniqueName("api");
  const answer = await post(`${url}/account/register/`, registration(username));
  return { username, token: (answer.body as { token: string }).token };
}

/** Whether a real Secret Service is reachable; in CI its absence is a failure, not a skip. */
export function keyringSkipReason(): string | false {
  if (process.env.DBUS_SESSION_BUS_ADDRESS) return false;
  if (process.env.CI) throw new Error("CI must run the tests inside scripts/with-keyring.sh, as npm test does (no D-Bus session found)");
  return "no D-Bus session: run inside scripts/with-keyring.sh (npm test does) to test the real keychain";
}
