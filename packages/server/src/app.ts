import Koa from "koa";
import type { Hasher } from "./auth/hasher.js";
import type { TokenVault } from "./auth/tokens.js";
import { NotFound } from "./errors.js";
import { appendSlash } from "./http/append-slash.js";
import { errorHandler } from "./http/error-handler.js";
import { requestLog } from "./http/request-log.js";
import { silentLogger, type Logger } from "./logger.js";
import { ACCOUNT_PATHS, accountRouter } from "./routes/account/index.js";
import { healthRouter } from "./routes/health.js";
import type { Store } from "./store/store.js";

export interface AppConfig {
  /** Largest request body accepted, in bytes; larger ones get 413. */
  bodyLimit: number;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface AppDeps {
  store: Store;
  hasher: Hasher;
  tokens: TokenVault;
  config?: Partial<AppConfig>;
  log?: Logger;
}

/** Builds the Koa app from its parts; it reads no environment and opens nothing. */
export function createApp({ store, hasher, tokens, config = {}, log = silentLogger }: AppDeps): Koa {
  const app = new Koa();
  app.silent = true;
  const bodyLimit = config.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const account = accountRouter({ store, hasher, tokens, bodyLimit });
  app.use(requestLog(log));
  app.use(errorHandler(log));
  app.use(appendSlash(ACCOUNT_PATHS));
  app.use(healthRouter(store).routes());
  app.use(account.routes());
  app.use(async () => {
    throw new NotFound();
  });
  return app;
}
