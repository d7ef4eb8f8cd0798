import Router from "@koa/router";
import { StoreBusy, StoreUnavailable, type Store } from "../store/store.js";

/**
 * `GET /healthz`: 200 when the database answers reads and could take a write
 * now; 503 with the reason otherwise (e.g. another process holds the write
 * lock: reads still work, writes wait and then fail).
 */
export function healthRouter(store: Store): Router {
  const router = new Router({ strict: true, sensitive: true });
  router.get("/healthz", async (ctx) => {
    const problem = await healthProblem(store);
    ctx.status = problem ? 503 : 200;
    ctx.body = problem ? { status: "unavailable", reason: problem } : { status: "ok" };
  });
  return router;
}

async function healthProblem(store: Store): Promise<string | undefined> {
  try {
    await store.ping();
  } catch (error) {
    if (error instanceof StoreBusy) return error.reason;
    return error instanceof StoreUnavailable ? `the database does not answer: ${error.reason}` : "the database does not answer";
  }
  try {
    await store.checkWritable();
  } catch (error) {
    if (error instanceof StoreBusy) return error.reason;
    if (error instanceof StoreUnavailable) return `the database does not answer: ${error.reason}`;
    return "the database cannot be written";
  }
  return undefined;
}
