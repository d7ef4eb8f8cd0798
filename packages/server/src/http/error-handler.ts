import type { Context } from "koa";
import { ApiError, ServiceUnavailable } from "../errors.js";
import type { Logger } from "../logger.js";
import { StoreBusy, StoreUnavailable } from "../store/store.js";
import { render } from "./render.js";

/**
 * The one place errors become responses: API errors get DRF's status, body and
 * headers (`WWW-Authenticate` on 401, `Retry-After` on 429 and 503); a database
 * locked by another process or out of reach is a 503 the client may retry; anything else is
 * logged and answered with a generic 500 that reveals nothing. Called by
 * the outermost middleware (request-log.ts) with whatever the app threw.
 */
export function answerError(ctx: Context, caught: unknown, log: Logger): void {
  const error =
    caught instanceof StoreBusy ? databaseBusy(caught, log) : caught instanceof StoreUnavailable ? databaseLost(caught, log) : caught;
  if (error instanceof ApiError) {
    ctx.set(error.headers);
    render(ctx, error.status, error.body);
    return;
  }
  log.error(`${ctx.method} ${ctx.path} failed: ${(error as Error | undefined)?.stack ?? String(error)}`);
  render(ctx, 500, { detail: "A server error occurred." });
}

function databaseBusy(error: StoreBusy, log: Logger): ServiceUnavailable {
  log.error(error.message);
  return new ServiceUnavailable("The database is busy. Try again shortly.", 1);
}

function databaseLost(error: StoreUnavailable, log: Logger): ServiceUnavailable {
  log.error(error.message);
  return new ServiceUnavailable("The database is unavailable. Try again shortly.", 1);
}
