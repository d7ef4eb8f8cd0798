import type { Middleware } from "koa";

/**
 * Django's CommonMiddleware with APPEND_SLASH: a known path without its
 * trailing slash is a 301 to the slashed path, query string kept, empty body.
 */
export function appendSlash(paths: ReadonlySet<string>): Middleware {
  return async (ctx, next) => {
    if (ctx.path.endsWith("/") || !paths.has(`${ctx.path}/`)) {
      await next();
      return;
    }
    ctx.status = 301;
    ctx.set("Location", `${ctx.path}/${ctx.querystring ? `?${ctx.querystring}` : ""}`);
    ctx.set("Content-Type", "text/html; charset=utf-8");
    ctx.body = "";
  };
}
