import type { Middleware } from "koa";
import { AUTH_KEYWORD } from "../auth/token-authentication.js";
import { ApiError } from "../errors.js";
import type { Logger } from "../logger.js";
import { render } from "./render.js";

/**
 * The one place errors become responses: API errors get DRF's status, body and
 * `WWW-Authenticate` on 401; anything else is logged and answered with a
 * generic 500 that reveals nothing.
 */
export function errorHandler(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof ApiError) {
        if (error.status === 401) ctx.set("WWW-Authenticate", AUTH_KEYWORD);
        render(ctx, error.status, error.body);
        return;
      }
      log.error(`${ctx.method} ${ctx.path} failed: ${(error as Error)?.stack ?? String(error)}`);
      render(ctx, 500, { detail: "A server error occurred." });
    }
  };
}
