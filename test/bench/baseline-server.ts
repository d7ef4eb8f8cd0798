/**
 * The bench's baselines, answering the same bytes as the real server for the
 * two token-checked requests, with as many processes:
 *   node --import tsx test/bench/baseline-server.ts koa|http WORKERS
 * `koa` is a minimal Koa + @koa/router app (the framework's ceiling), `http`
 * a bare node:http server (the runtime's). Prints "listening on URL".
 */
import Router from "@koa/router";
import Koa from "koa";
import cluster from "node:cluster";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";

export const ME_BODY = '{"username":"bench","email":"bench@example.com"}';
export const INVALID_TOKEN_BODY = '{"detail":"Invalid token."}';

function koaListener(): RequestListener {
  const app = new Koa();
  const router = new Router();
  // The header set as such: `ctx.type` would add "; charset=utf-8", which DRF (and we) do not send.
  router.get("/account/me/", (ctx) => {
    ctx.set("Allow", "GET, OPTIONS");
    ctx.set("Content-Type", "application/json");
    ctx.body = ME_BODY;
  });
  router.post("/account/logout/", (ctx) => {
    ctx.status = 401;
    ctx.set("Allow", "POST, OPTIONS");
    ctx.set("WWW-Authenticate", "Token");
    ctx.set("Content-Type", "application/json");
    ctx.body = INVALID_TOKEN_BODY;
  });
  app.use(router.routes());
  const handle = app.callback();
  return (request, response) => void handle(request, response);
}

function bareListener(): RequestListener {
  return (request, response) => {
    request.resume();
    if (request.url === "/account/me/") {
      response.writeHead(200, { Allow: "GET, OPTIONS", "Content-Type": "application/json", "Content-Length": Buffer.byteLength(ME_BODY) });
      response.end(ME_BODY);
      return;
    }
    response.writeHead(401, {
      Allow: "POST, OPTIONS",
      "WWW-Authenticate": "Token",
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(INVALID_TOKEN_BODY),
    });
    response.end(INVALID_TOKEN_BODY);
  };
}

const [kind = "http", workersArg = "1"] = process.argv.slice(2);
const workers = Number(workersArg);
if (cluster.isPrimary && workers > 1) {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().once("listening", ({ port }) => {
      if (++listening === workers) console.log(`listening on http://127.0.0.1:${port}`);
    });
  }
  process.once("SIGTERM", () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
  });
} else {
  const server = createServer(kind === "koa" ? koaListener() : bareListener());
  // As the real server (src/server.ts): its answers say "Keep-Alive: timeout=5, max=1000" too.
  server.maxRequestsPerSocket = 1000;
  server.listen(0, "127.0.0.1", () => {
    if (cluster.isPrimary) console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  // A fixture with nothing to finish: leave at once.
  process.once("SIGTERM", () => {
    process.exit(0);
  });
}
