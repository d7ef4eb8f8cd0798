import { mkdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { StorageFailed } from "./errors.js";

export type Storage = "keychain" | "file";

export interface HostConfig {
  active?: string;
  users: Record<string, { storage: Storage }>;
}

/** The non-secret settings: servers, usernames, the active account, where each token lives. */
export interface Config {
  lastUrl?: string;
  hosts: Record<string, HostConfig>;
}

/** `AUTHCTL_CONFIG_DIR`, else `$XDG_CONFIG_HOME/authctl`, else `~/.config/authctl`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.AUTHCTL_CONFIG_DIR) return env.AUTHCTL_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "authctl");
}

export class ConfigFile {
  constructor(readonly path: string) {}

  async read(): Promise<Config> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { hosts: {} };
      throw new StorageFailed(`cannot read ${this.path}: ${(error as Error).message}`);
    }
    try {
      const config = JSON.parse(text) as Partial<Config>;
      return { ...config, hosts: config.hosts ?? {} };
    } catch {
      throw new StorageFailed(`${this.path} is not valid JSON`, "fix or remove the file; it holds no secrets");
    }
  }

  async update(change: (config: Config) => void): Promise<Config> {
    const config = await this.read();
    change(config);
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    } catch (error) {
      throw new StorageFailed(`cannot write ${this.path}: ${(error as Error).message}`);
    }
    return config;
  }
}
