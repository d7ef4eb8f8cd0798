import type { AccountConfig, Config, ConfigFile, Storage } from "../config-file.js";
import { NotLoggedIn, StorageFailed } from "../errors.js";
import type { CredentialsFile } from "./credentials-file.js";
import { KeychainUnavailable, type Keychain } from "./keychain.js";

export interface StoredAccount {
  url: string;
  username: string;
  /** The active account of its server. */
  active: boolean;
  /** Its server is the current server. */
  current: boolean;
  storage: Storage;
  /** When the server said the token expires (ISO 8601); absent when it gave no expiry. */
  expiry?: string;
}

export interface SaveResult {
  storage: Storage;
  /** Why the token went to the plaintext file, when it did. */
  fallbackReason?: string;
}

/** What changed besides the removed account. */
export interface RemoveResult {
  /** The account of the same server that became active, if the removed one was. */
  nextActive?: string;
  /** The removed account was the last of the current server, which stays current with no account. */
  currentEmptied?: true;
}

/** What to do when the OS keychain does not answer. */
export const KEYRING_HINT =
  "unlock the OS keyring (e.g. log in to a desktop session, or run gnome-keyring-daemon --unlock), or log in again with --insecure-storage";

export const serviceFor = (url: string) => `authctl:${url}`;

/**
 * Where tokens live: the OS keychain when it answers, else (or when asked)
 * the credentials file; the config file records which, per account, and
 * which server is current.
 */
export class TokenStore {
  constructor(
    private readonly config: ConfigFile,
    private readonly keychain: Keychain,
    readonly file: CredentialsFile,
  ) {}

  /** Keeps the token, with the `expiry` the server gave with it, and makes its account the active one of the current server. */
  async save(url: string, username: string, token: string, insecureStorage: boolean, expiry?: string): Promise<SaveResult> {
    const result = await this.put(url, username, token, insecureStorage);
    const previous = await this.config.update((config) => {
      const server = config.servers.get(url) ?? { lastUsed: 0, accounts: new Map<string, AccountConfig>() };
      const before = server.accounts.get(username)?.storage;
      server.accounts.set(username, { storage: result.storage, expiry });
      server.active = username;
      server.lastUsed = nextStamp(config);
      config.servers.set(url, server);
      config.current = url;
      return before;
    });
    if (previous && previous !== result.storage)
      await this.backend(previous)
        .delete(serviceFor(url), username)
        .catch(() => false);
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
    await this.file.set(serviceFor(url), username, token);
    return { storage: "file", fallbackReason };
  }

  async read(account: StoredAccount): Promise<string> {
    let token: string | undefined;
    try {
      token = await this.backend(account.storage).get(serviceFor(account.url), account.username);
    } catch (error) {
      if (error instanceof StorageFailed) throw error;
      throw new StorageFailed(
        `cannot read the token of ${account.username} at ${account.url}: ${(error as Error).message}`,
        account.storage === "keychain" ? KEYRING_HINT : undefined,
      );
    }
    if (token === undefined) {
      throw new NotLoggedIn(
        `the token of ${account.username} at ${account.url} is missing from ${this.describe(account.storage)}`,
        `log in again: authctl login --url ${account.url} --username ${account.username}`,
      );
    }
    return token;
  }

  /**
   * Removes the token and the account. The server's next account becomes
   * active; a current server left without accounts stays current: only
   * `switch` or an explicit --url moves commands to another server.
   */
  async remove(account: StoredAccount): Promise<RemoveResult> {
    try {
      await this.backend(account.storage).delete(serviceFor(account.url), account.username);
    } catch (error) {
      if (error instanceof StorageFailed) throw error;
      throw new StorageFailed(`cannot remove the token from ${this.describe(account.storage)}: ${(error as Error).message}`, KEYRING_HINT);
    }
    return this.forget(account);
  }

  /** Removes the account from the config only (its token is gone already). */
  async forget(account: StoredAccount): Promise<RemoveResult> {
    return this.config.update((config) => {
      const server = config.servers.get(account.url);
      if (!server?.accounts.delete(account.username)) return {};
      const result: RemoveResult = {};
      if (server.active === account.username) {
        server.active = server.accounts.keys().next().value;
        result.nextActive = server.active;
      }
      if (server.accounts.size > 0) return result;
      config.servers.delete(account.url);
      if (config.current === account.url) result.currentEmptied = true;
      return result;
    });
  }

  /** Stored accounts, the current server's first, then by when their server was last used. */
  async list(url?: string): Promise<StoredAccount[]> {
    const { servers, current } = await this.config.read();
    return [...servers]
      .filter(([serverUrl]) => url === undefined || serverUrl === url)
      .sort(([urlA, a], [urlB, b]) => Number(urlB === current) - Number(urlA === current) || b.lastUsed - a.lastUsed)
      .flatMap(([serverUrl, server]) =>
        [...server.accounts].map(([username, { storage, expiry }]) => ({
          url: serverUrl,
          username,
          storage,
          ...(expiry === undefined ? {} : { expiry }),
          active: server.active === username,
          current: serverUrl === current,
        })),
      );
  }

  /** The account named, or the server's active one. */
  async find(url: string, username?: string): Promise<StoredAccount | undefined> {
    const accounts = await this.list(url);
    return accounts.find((account) => (username === undefined ? account.active : account.username === username));
  }

  /** Every stored account with this username, on any server. */
  async withUsername(username: string): Promise<StoredAccount[]> {
    return (await this.list()).filter((account) => account.username === username);
  }

  /** Makes the account its server's active one and its server the current one. */
  async activate(account: StoredAccount): Promise<void> {
    await this.config.update((config) => {
      const server = config.servers.get(account.url);
      if (!server?.accounts.has(account.username)) return;
      server.active = account.username;
      server.lastUsed = nextStamp(config);
      config.current = account.url;
    });
  }

  /**
   * Keeps the account's token under the new username the server gave it, in
   * the same storage, active if it was: written under the new name before the
   * old entry goes, so a failure in between loses nothing.
   */
  async rename(account: StoredAccount, username: string, token: string): Promise<StoredAccount> {
    const backend = this.backend(account.storage);
    try {
      await backend.set(serviceFor(account.url), username, token);
    } catch (error) {
      if (error instanceof StorageFailed) throw error;
      throw new StorageFailed(
        `cannot store the token under ${username} in ${this.describe(account.storage)}: ${(error as Error).message}`,
        KEYRING_HINT,
      );
    }
    const replaced = await this.config.update((config) => {
      const server = config.servers.get(account.url);
      if (!server?.accounts.delete(account.username)) return undefined;
      const before = server.accounts.get(username)?.storage;
      server.accounts.set(username, { storage: account.storage, expiry: account.expiry });
      if (server.active === account.username) server.active = username;
      return before;
    });
    if (replaced && replaced !== account.storage)
      await this.backend(replaced)
        .delete(serviceFor(account.url), username)
        .catch(() => false);
    await backend.delete(serviceFor(account.url), account.username).catch(() => false);
    return { ...account, username };
  }

  async currentUrl(): Promise<string | undefined> {
    return (await this.config.read()).current;
  }

  describe(storage: Storage): string {
    return storage === "keychain" ? "the OS keychain" : `${this.file.path} (plaintext)`;
  }

  private backend(storage: Storage): Keychain {
    return storage === "keychain" ? this.keychain : this.file;
  }
}

/** A use time later than any recorded, so "most recently used" is never a tie. */
function nextStamp(config: Config): number {
  const latest = Math.max(0, ...[...config.servers.values()].map((server) => server.lastUsed));
  return Math.max(Date.now(), latest + 1);
}
