import { readJsonFile, withFileLock, writeJsonFile, type JsonFileKind } from "../json-file.js";
import type { Keychain } from "./keychain.js";

/** service → account → token, in maps so any account name is an ordinary key. */
type Credentials = Map<string, Map<string, string>>;

const KIND: JsonFileKind = {
  what: "credentials file",
  fixHint: "move the file aside (it holds tokens) and log in again",
};

/**
 * The plaintext fallback: `credentials.json`, 0600 in a 0700 directory,
 * replaced atomically (temp file + rename) so a crash never leaves half a
 * file, and changed only under an inter-process lock.
 */
export class CredentialsFile implements Keychain {
  constructor(readonly path: string) {}

  async get(service: string, account: string): Promise<string | undefined> {
    return (await this.read()).get(service)?.get(account);
  }

  async set(service: string, account: string, secret: string): Promise<void> {
    await this.change((all) => {
      const accounts = all.get(service) ?? new Map<string, string>();
      accounts.set(account, secret);
      all.set(service, accounts);
      return true;
    });
  }

  async delete(service: string, account: string): Promise<boolean> {
    return this.change((all) => {
      const accounts = all.get(service);
      if (!accounts?.delete(account)) return false;
      if (accounts.size === 0) all.delete(service);
      return true;
    });
  }

  private async change(apply: (all: Credentials) => boolean): Promise<boolean> {
    return withFileLock(this.path, async () => {
      const all = await this.read();
      if (!apply(all)) return false;
      const tokens = [...all].flatMap(([service, accounts]) => [...accounts].map(([account, token]) => ({ service, account, token })));
      await writeJsonFile(this.path, { version: 2, tokens });
      return true;
    });
  }

  private async read(): Promise<Credentials> {
    const data = await readJsonFile(this.path, async () => (await import("./credentials-file-schema.js")).credentialsSchema, KIND);
    const all: Credentials = new Map();
    if (data === undefined) return all;
    for (const { service, account, token } of data.tokens) {
      const accounts = all.get(service) ?? new Map<string, string>();
      accounts.set(account, token);
      all.set(service, accounts);
    }
    return all;
  }
}
