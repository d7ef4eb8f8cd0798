import type { Middleware } from "koa";
import type { Logger } from "../logger.js";

/** One line per request: method, path (never the query string), status, time. */
export function requestLog(log: Logger): Middleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      log.info(`${ctx.method} ${ctx.path} ${ctx.status} ${ms.toFixed(1)}ms`);
    }
  };
}
