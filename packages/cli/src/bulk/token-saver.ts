import type { Context } from "../context.js";
import type { StoredAccount } from "../secrets/token-store.js";

/**
 * `--save-tokens`: keeps each token through the TokenStore, one at a time
 * (each save rewrites the config), and puts back the account that was active
 * before, so provisioning does not switch who you are logged in as.
 */
export class TokenSaver {
  saved = 0;
  where = "the OS keychain";
  private warned = false;
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly ctx: Context,
    private readonly url: string,
    private readonly insecureStorage: boolean,
    private readonly previous: StoredAccount | undefined,
  ) {}

  static async start(ctx: Context, url: string, insecureStorage: boolean): Promise<TokenSaver> {
    return new TokenSaver(ctx, url, insecureStorage, await ctx.tokens.find(url));
  }

  /** Throws StorageFailed, which stops the run: the report still holds every token. */
  save(username: string, token: string): Promise<void> {
    const saved = this.tail.then(() => this.saveNow(username, token));
    this.tail = saved.catch(() => undefined);
    return saved;
  }

  private async saveNow(username: string, token: string): Promise<void> {
    const result = await this.ctx.tokens.save(this.url, username, token, this.insecureStorage);
    this.saved++;
    this.where = this.ctx.tokens.describe(result.storage);
    if (result.fallbackReason && !this.warned) {
      this.warned = true;
      this.ctx.out.warn(`tokens stored in plaintext in ${this.ctx.tokens.file.path}: ${result.fallbackReason}`);
    }
  }

  async end(): Promise<void> {
    if (this.previous && this.saved > 0) await this.ctx.tokens.activate(this.previous);
  }
}
