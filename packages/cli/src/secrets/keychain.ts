import { existsSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The keychain's child. node:child_process (with net, dgram and more behind it) loads at the first call, and the
 * child's path is worked out then: most runs never make one.
 */
async function spawnChild(env: NodeJS.ProcessEnv) {
  const { spawn } = await import("node:child_process");
  // The child sits beside this code and is built the same way: the bundle's keychain-child.cjs next to
  // the CLI's bundle, or, run from source (tests), keychain-child.ts, loaded through tsx.
  const here = fileURLToPath(import.meta.url);
  const child = join(dirname(here), `keychain-child${extname(here)}`);
  return spawn(process.execPath, here.endsWith(".ts") ? ["--import", "tsx", child] : [child], { env, stdio: ["pipe", "pipe", "ignore"] });
}

/** A place for secrets, keyed like keytar: service and account. */
export interface Keychain {
  get(service: string, account: string): Promise<string | undefined>;
  set(service: string, account: string, secret: string): Promise<void>;
  /** Resolves false when there was nothing to delete. */
  delete(service: string, account: string): Promise<boolean>;
}

/** The OS keychain is missing, locked, or did not answer in time. */
export class KeychainUnavailable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "KeychainUnavailable";
  }
}

/**
 * The OS keychain (Secret Service on Linux, Keychain on macOS, Credential
 * Manager on Windows) through @napi-rs/keyring. Each call runs in a child
 * process that is killed when the timeout passes: a session bus that accepts
 * connections but never answers blocks the native call itself, so no
 * in-process timer could ever fire.
 */
export class OsKeychain implements Keychain {
  /** Set once a call timed out: later calls fail at once, so one command waits at most one timeout. */
  private hung?: KeychainUnavailable;

  constructor(
    private readonly timeoutMs: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async get(service: string, account: string): Promise<string | undefined> {
    const value = await this.run({ op: "get", service, account });
    return typeof value === "string" ? value : undefined;
  }

  async set(service: string, account: string, secret: string): Promise<void> {
    await this.run({ op: "set", service, account, secret });
  }

  async delete(service: string, account: string): Promise<boolean> {
    return (await this.run({ op: "delete", service, account })) === true;
  }

  private async run(request: { op: string; service: string; account: string; secret?: string }): Promise<string | boolean | null> {
    const missing = missingSessionBus(this.env);
    if (missing) throw new KeychainUnavailable(missing);
    if (this.hung) throw this.hung;
    const child = await spawnChild(this.env);
    return new Promise((resolve, reject) => {
      let output = "";
      let settled = false;
      // Nothing of the child may keep this process alive once the call is decided.
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.stdin.destroy();
        child.stdout.destroy();
        child.unref();
        settle();
      };
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        this.hung = new KeychainUnavailable(`no answer within ${this.timeoutMs / 1000}s`);
        const hung = this.hung;
        finish(() => {
          reject(hung);
        });
      }, this.timeoutMs);
      child.on("error", (error) => {
        finish(() => {
          reject(new KeychainUnavailable(error.message));
        });
      });
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      child.on("close", () => {
        // Loaded here, not at start-up: most runs never reach the keychain.
        void import("./keychain-answer.js").then(
          ({ parseAnswer }) => {
            finish(() => {
              const answer = parseAnswer(output);
              if (answer === undefined) reject(new KeychainUnavailable("the keychain helper ended without an answer"));
              else if (answer.ok) resolve(answer.value);
              else reject(new KeychainUnavailable(answer.message));
            });
          },
          (error: unknown) => {
            finish(() => {
              reject(new KeychainUnavailable(String(error)));
            });
          },
        );
      });
      child.stdin.on("error", () => undefined);
      child.stdin.end(JSON.stringify(request));
    });
  }
}

/**
 * On Linux the Secret Service lives on the D-Bus session bus. Without one,
 * libdbus would try to autolaunch a bus (printing errors, then failing), so
 * say plainly that there is none.
 */
function missingSessionBus(env: NodeJS.ProcessEnv): string | undefined {
  if (process.platform !== "linux" || env.DBUS_SESSION_BUS_ADDRESS) return undefined;
  if (env.XDG_RUNTIME_DIR && existsSync(join(env.XDG_RUNTIME_DIR, "bus"))) return undefined;
  return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)";
}
