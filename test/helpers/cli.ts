import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { post, registration } from "./http.js";
import { spawnServer } from "./server.js";
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
    // Started as users do: `authctl serve` on a free port, until SIGTERM.
    const server = await spawnServer({}, ["--host", "127.0.0.1", "--port", "0", "--data-dir", dir.path], { entry: [AUTHCTL, "serve"] });
    return {
      url: server.url,
      hasMe: true,
      close: async () => {
        await server.stop();
        await dir.remove();
      },
    };
  } catch (error) {
    await dir.remove();
    throw error;
  }
}

/** A private config dir for one test, as `AUTHCTL_CONFIG_DIR`. */
export async function configDir() {
  return tempDir("authctl-config-");
}

/** What most CLI test files share: a real server and a private config dir, with `env` pointing the CLI at both. */
export interface CliSetup {
  server: TestServer;
  config: Awaited<ReturnType<typeof configDir>>;
  /** `AUTHCTL_CONFIG_DIR`, and `AUTHCTL_URL` unless `currentServer` is false. */
  env: Record<string, string>;
  close: () => Promise<void>;
}

export async function openCliSetup({ currentServer = true } = {}): Promise<CliSetup> {
  const server = await startTestServer();
  const config = await configDir().catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  const env: Record<string, string> = { AUTHCTL_CONFIG_DIR: config.path, ...(currentServer ? { AUTHCTL_URL: server.url } : {}) };
  return {
    server,
    config,
    env,
    close: async () => {
      await server.close();
      await config.remove();
    },
  };
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
