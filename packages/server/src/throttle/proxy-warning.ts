import type { Context } from "koa";
import type { Logger } from "../logger.js";

/** Headers a reverse proxy adds; their presence says the peer may be a proxy rather than the client. */
const PROXY_HEADERS = ["x-forwarded-for", "forwarded", "x-real-ip"] as const;

/**
 * With AUTHCTL_TRUST_PROXY=0 every client behind a proxy has the proxy's
 * address: they share one per-address login limit, and an address known for
 * an account no longer tells its owner from anyone else behind the proxy.
 * Logs that once per process, at the first request carrying a proxy's
 * header (its name only, never its value). Called with each request.
 */
export function proxyWarning(log: Logger): (ctx: Context) => void {
  let warned = false;
  return (ctx) => {
    if (!warned && PROXY_HEADERS.some((name) => ctx.req.headers[name] !== undefined)) {
      warned = true;
      log.info(
        "requests arrive with X-Forwarded-For (or Forwarded, X-Real-IP) but AUTHCTL_TRUST_PROXY=0: if a reverse proxy is in front, " +
          "every client behind it counts as the proxy's address, so they share its failed-login limit (AUTHCTL_THROTTLE_LOGIN_ADDRESS) " +
          "and anyone's failures there can refuse logins to accounts that never logged in through it; set AUTHCTL_TRUST_PROXY to the " +
          "number of proxies (ignore this if clients reach the server directly: one of them wrote the header)",
      );
    }
  };
}
