import type { ConfigFile, Storage } from "../config-file.js";
import { NotLoggedIn, StorageFailed } from "../errors.js";
import type { CredentialsFile } from "./credentials-file.js";
import { KeychainUnavailable, type Keychain } from "./keychain.js";

export interface StoredAccount {
  url: string;
  username: string;
  active: boolean;
  storage: Storage;
}

export interface SaveResult {
  storage: Storage;
  /** Why the token went to the plaintext file, when it did. */
  fallbackReason?: string;
}

export const serviceFor = (url: string) => `authctl:${url}`;

/**
 * Where tokens live: the OS keychain when it answers, else (or when asked)
 * the credentials file; the config file records which, per account.
 */
export class TokenStore {
  constructor(
    private readonly config: ConfigFile,
    private readonly keychain: Keychain,
    readonly file: CredentialsFile,
  ) {}

  async save(url: string, username: string, token: string, insecureStorage: boolean): Promise<SaveResult> {
    const result = await this.put(url, username, token, insecureStorage);
    let previous: Storage | undefined;
    await this.config.update((config) => {
      const host = (config.hosts[url] ??= { users: {} });
      previous = host.users[username]?.storage;
      host.users[username] = { storage: result.storage };
      host.active = username;
      config.lastUrl = url;
    });
    if (previous && previous !== result.storage) await this.backend(previous).delete(serviceFor(url), username).catch(() => false);
    return result;
  }

  private async put(url: string, username: string, token: string, insecureStorage: boolean): Promise<SaveResult> {
    let fallbackReason = "--insecure-storage was given";
    if (!insecureStorage) {
      try {
        await this.keychain.set(serviceFor(url), username, token);
        return { storage: "keychain" };
      } catch (error) {
        if (!(error instanceof KeychainUnavailable)) throw error;
        fallbackReason = `no OS keychain available (${error.message})`;
      }
    }
    try {
      await this.file.set(serviceFor(url), username, token);
    } catch (error) {
      throw new StorageFailed(`cannot write ${this.file.path}: ${(error as Error).message}`);
    }
    return { storage: "file", fallbackReason };
  }

  async read(account: StoredAccount): Promise<string> {
    let token: string | undefined;
    try {
      token = await this.backend(account.storage).get(serviceFor(account.url), account.username);
    } catch (error) {
      throw new StorageFailed(`cannot read the token of ${account.username} at ${account.url}: ${(error as Error).message}`);
    }
    if (token === undefined) {
      throw new NotLoggedIn(`the token of ${account.username} at ${account.url} is missing from ${this.describe(account.storage)}`, `log in again: authctl login --url ${account.url} --username ${account.username}`);
    }
    return token;
  }

  /** Removes the token and the account; the next remaining account of that server becomes active. */
  async remove(account: StoredAccount): Promise<void> {
    try {
      await this.backend(account.storage).delete(serviceFor(account.url), account.username);
    } catch (error) {
      throw new StorageFailed(`cannot remove the token from ${this.describe(account.storage)}: ${(error as Error).message}`);
    }
    await this.config.update((config) => {
      const { [account.url]: host, ...otherHosts } = config.hosts;
      if (!host) return;
      const { [account.username]: _removed, ...users } = host.users;
      const remaining = Object.keys(users);
      const active = host.active === account.username ? remaining[0] : host.active;
      config.hosts = remaining.length > 0 ? { ...otherHosts, [account.url]: { active, users } } : otherHosts;
    });
  }

  async list(url?: string): Promise<StoredAccount[]> {
    const { hosts } = await this.config.read();
    return Object.entries(hosts)
      .filter(([hostUrl]) => url === undefined || hostUrl === url)
      .flatMap(([hostUrl, host]) =>
        Object.entries(host.users).map(([username, { storage }]) => ({ url: hostUrl, username, storage, active: host.active === username })),
      );
  }

  /** The account named, or the server's active one. */
  async find(url: string, username?: string): Promise<StoredAccount | undefined> {
    const accounts = await this.list(url);
    return accounts.find((account) => (username === undefined ? account.active : account.username === username));
  }

  async activate(account: StoredAccount): Promise<void> {
    await this.config.update((config) => {
      const host = config.hosts[account.url];
      if (host) host.active = account.username;
      config.lastUrl = account.url;
    });
  }

  async lastUrl(): Promise<string | undefined> {
    return (await this.config.read()).lastUrl;
  }

  describe(storage: Storage): string {
    return storage === "keychain" ? "the OS keychain" : `${this.file.path} (plaintext)`;
  }

  private backend(storage: Storage): Keychain {
    return storage === "keychain" ? this.keychain : this.file;
  }
}
