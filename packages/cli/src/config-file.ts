import { homedir } from "node:os";
import { join } from "node:path";
import type { ConfigOnDisk } from "./config-file-schema.js";
import { readJsonFile, withFileLock, writeJsonFile, type JsonFileKind } from "./json-file.js";

export type Storage = "keychain" | "file";

/** What the config says of one stored account: where its token lives, and when the server said it expires. */
export interface AccountConfig {
  storage: Storage;
  /** ISO 8601, from the login or registration answer (knox's `expiry`); absent where the server gave none (DRF). */
  expiry?: string;
}

/** One server: its accounts (username → where the token lives), the active one, when it was last used. */
export interface ServerConfig {
  active?: string;
  lastUsed: number;
  accounts: Map<string, AccountConfig>;
}

/**
 * The non-secret settings. Maps, not objects, so that usernames and URLs
 * such as `__proto__` or `constructor` are ordinary keys.
 */
export interface Config {
  /** The current server, like gh's current host: set by the last login, register or switch. */
  current?: string;
  servers: Map<string, ServerConfig>;
}

const KIND: JsonFileKind = { what: "config file", fixHint: "fix or remove the file; it holds no secrets (log in again afterwards)" };

/** `AUTHCTL_CONFIG_DIR`, else `$XDG_CONFIG_HOME/authctl`, else `~/.config/authctl`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.AUTHCTL_CONFIG_DIR) return env.AUTHCTL_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "authctl");
}

export class ConfigFile {
  constructor(readonly path: string) {}

  async read(): Promise<Config> {
    return (
      (await readJsonFile(this.path, async () => (await import("./config-file-schema.js")).configSchema, KIND)) ?? { servers: new Map() }
    );
  }

  /** Read-modify-write under an inter-process lock; the file is read again inside it. */
  async update<T>(change: (config: Config) => T): Promise<T> {
    return withFileLock(this.path, async () => {
      const config = await this.read();
      const result = change(config);
      await writeJsonFile(this.path, toFile(config));
      return result;
    });
  }
}

function toFile(config: Config): ConfigOnDisk {
  return {
    version: 2,
    current: config.current,
    servers: [...config.servers].map(([url, server]) => ({
      url,
      active: server.active,
      lastUsed: server.lastUsed,
      accounts: [...server.accounts].map(([username, { storage, expiry }]) => ({ username, storage, expiry })),
    })),
  };
}
