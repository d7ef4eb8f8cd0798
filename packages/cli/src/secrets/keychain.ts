import { existsSync } from "node:fs";
import { join } from "node:path";

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
 * Manager on Windows) through @napi-rs/keyring. Every call is bounded by a
 * timeout, because a Secret Service that waits for an unlock prompt nobody
 * will answer would otherwise hang the CLI.
 */
export class OsKeychain implements Keychain {
  constructor(
    private readonly timeoutMs: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get(service: string, account: string): Promise<string | undefined> {
    return this.run(service, account, async (entry, signal) => (await entry.getPassword(signal)) ?? undefined);
  }

  set(service: string, account: string, secret: string): Promise<void> {
    return this.run(service, account, (entry, signal) => entry.setPassword(secret, signal));
  }

  delete(service: string, account: string): Promise<boolean> {
    return this.run(service, account, (entry, signal) => entry.deleteCredential(signal));
  }

  private async run<T>(
    service: string,
    account: string,
    action: (entry: import("@napi-rs/keyring").AsyncEntry, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const missing = missingSessionBus(this.env);
    if (missing) throw new KeychainUnavailable(missing);
    const { AsyncEntry } = await import("@napi-rs/keyring");
    const signal = AbortSignal.timeout(this.timeoutMs);
    // The native call is told to abort, but the race answers even if it does not listen.
    const deadline = new Promise<never>((_, reject) =>
      signal.addEventListener("abort", () => reject(new KeychainUnavailable(`no answer within ${this.timeoutMs / 1000}s`)), { once: true }),
    );
    try {
      return await Promise.race([action(new AsyncEntry(service, account), signal), deadline]);
    } catch (error) {
      if (error instanceof KeychainUnavailable) throw error;
      throw new KeychainUnavailable((error as Error).message);
    }
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
