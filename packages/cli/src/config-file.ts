import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { readJsonFile, withFileLock, writeJsonFile, type JsonFileKind } from "./json-file.js";

export type Storage = "keychain" | "file";

/** One server: its accounts (username → where the token lives), the active one, when it was last used. */
export interface ServerConfig {
  active?: string;
  lastUsed: number;
  accounts: Map<string, Storage>;
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

const storage = z.enum(["keychain", "file"]);

/** On disk: lists, never objects keyed by user input. */
const fileSchema = z.object({
  version: z.literal(2),
  current: z.string().optional(),
  servers: z.array(
    z.object({
      url: z.string(),
      active: z.string().optional(),
      lastUsed: z.number(),
      accounts: z.array(z.object({ username: z.string(), storage })),
    }),
  ),
});

/** The first release's shape, read and rewritten in the new one. */
const legacySchema = z.object({
  lastUrl: z.string().optional(),
  hosts: z.record(z.object({ active: z.string().optional(), users: z.record(z.object({ storage })) })),
});

const configSchema = z.union([fileSchema.transform(fromFile), legacySchema.transform(fromLegacy)]);

const KIND: JsonFileKind = { what: "config file", fixHint: "fix or remove the file; it holds no secrets (log in again afterwards)" };

/** `AUTHCTL_CONFIG_DIR`, else `$XDG_CONFIG_HOME/authctl`, else `~/.config/authctl`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.AUTHCTL_CONFIG_DIR) return env.AUTHCTL_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "authctl");
}

export class ConfigFile {
  constructor(readonly path: string) {}

  async read(): Promise<Config> {
    return (await readJsonFile(this.path, configSchema, KIND)) ?? { servers: new Map() };
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

function toFile(config: Config): z.infer<typeof fileSchema> {
  return {
    version: 2,
    current: config.current,
    servers: [...config.servers].map(([url, server]) => ({
      url,
      active: server.active,
      lastUsed: server.lastUsed,
      accounts: [...server.accounts].map(([username, where]) => ({ username, storage: where })),
    })),
  };
}

function fromFile(data: z.infer<typeof fileSchema>): Config {
  const servers = new Map<string, ServerConfig>();
  for (const server of data.servers) {
    const accounts = new Map(server.accounts.map((account) => [account.username, account.storage] as const));
    servers.set(server.url, { active: server.active, lastUsed: server.lastUsed, accounts });
  }
  return { current: data.current, servers };
}

function fromLegacy(data: z.infer<typeof legacySchema>): Config {
  const servers = new Map<string, ServerConfig>();
  for (const [url, host] of Object.entries(data.hosts)) {
    const accounts = new Map(Object.entries(host.users).map(([username, user]) => [username, user.storage] as const));
    servers.set(url, { active: host.active, lastUsed: url === data.lastUrl ? 1 : 0, accounts });
  }
  return { current: data.lastUrl, servers };
}
