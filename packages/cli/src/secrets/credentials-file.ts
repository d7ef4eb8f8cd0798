import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import writeFileAtomic from "write-file-atomic";
import type { Keychain } from "./keychain.js";

type Credentials = Record<string, Record<string, string>>;

/**
 * The plaintext fallback: `credentials.json`, 0600 in a 0700 directory,
 * replaced atomically (temp file + rename) so a crash never leaves half a file.
 */
export class CredentialsFile implements Keychain {
  constructor(readonly path: string) {}

  async get(service: string, account: string): Promise<string | undefined> {
    return (await this.read())[service]?.[account];
  }

  async set(service: string, account: string, secret: string): Promise<void> {
    const all = await this.read();
    all[service] = { ...all[service], [account]: secret };
    await this.write(all);
  }

  async delete(service: string, account: string): Promise<boolean> {
    const { [service]: accounts = {}, ...others } = await this.read();
    if (accounts[account] === undefined) return false;
    const { [account]: _removed, ...remaining } = accounts;
    await this.write(Object.keys(remaining).length > 0 ? { ...others, [service]: remaining } : others);
    return true;
  }

  private async read(): Promise<Credentials> {
    try {
      return JSON.parse(await readFile(this.path, "utf8")) as Credentials;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw error;
    }
  }

  private async write(all: Credentials): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
  }
}
