import type { Middleware } from "koa";
import type { Logger } from "../logger.js";
import { RESET_PAGE_PATH } from "../mail/password-reset-mail.js";

/** A path below the reset endpoint is a reset link: its uid and token are never logged. */
function loggedPath(path: string): string {
  return path.startsWith(RESET_PAGE_PATH) && path.length > RESET_PAGE_PATH.length ? `${RESET_PAGE_PATH}…` : path;
}

/** One line per request: method, path (never the query string, nor a reset link's token), status, time. */
export function requestLog(log: Logger): Middleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      log.info(`${ctx.method} ${loggedPath(ctx.path)} ${ctx.status} ${ms.toFixed(1)}ms`);
    }
  };
}
