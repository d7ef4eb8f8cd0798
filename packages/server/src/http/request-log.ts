import type { Context, Middleware } from "koa";
import type { Logger } from "../logger.js";
import { RESET_PAGE_PATH } from "../mail/password-reset-mail.js";
import { answerError } from "./error-handler.js";

/** A path below the reset endpoint is a reset link: its uid and token are never logged. */
function loggedPath(path: string): string {
  return path.startsWith(RESET_PAGE_PATH) && path.length > RESET_PAGE_PATH.length ? `${RESET_PAGE_PATH}…` : path;
}

/**
 * The outermost middleware, one layer where there were three (each costs
 * every request a promise and a closure): `inspect`, if given, sees each
 * request first (the proxy warning); whatever the app throws is answered by
 * `answerError`; then one line per request: method, path (never the query
 * string, nor a reset link's token), status, time.
 */
export function requestLog(log: Logger, inspect?: (ctx: Context) => void): Middleware {
  return async (ctx, next) => {
    const start = performance.now();
    try {
      inspect?.(ctx);
      await next();
    } catch (caught) {
      answerError(ctx, caught, log);
    } finally {
      log.info(`${ctx.method} ${loggedPath(ctx.path)} ${ctx.status} ${(performance.now() - start).toFixed(1)}ms`);
    }
  };
}
