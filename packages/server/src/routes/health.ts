import Router from "@koa/router";
import type { Store } from "../store/store.js";

/** `GET /healthz`: 200 when the database answers, 503 when it does not. */
export function healthRouter(store: Store): Router {
  const router = new Router({ strict: true, sensitive: true });
  router.get("/healthz", async (ctx) => {
    try {
      await store.ping();
      ctx.body = { status: "ok" };
    } catch {
      ctx.status = 503;
      ctx.body = { status: "unavailable" };
    }
  });
  return router;
}
