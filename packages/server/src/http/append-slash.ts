import type { Middleware } from "koa";

/**
 * Django's CommonMiddleware with APPEND_SLASH: a path that is `known` once slashed but given without its
 * trailing slash is a 301 to the slashed path, query string kept, empty body.
 */
export function appendSlash(known: (path: string) => boolean): Middleware {
  return async (ctx, next) => {
    if (ctx.path.endsWith("/") || !known(`${ctx.path}/`)) {
      await next();
      return;
    }
    ctx.status = 301;
    ctx.set("Location", `${ctx.path}/${ctx.querystring ? `?${ctx.querystring}` : ""}`);
    ctx.set("Content-Type", "text/html; charset=utf-8");
    ctx.body = "";
  };
}
