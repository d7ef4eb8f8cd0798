import type { Context } from "koa";

/**
 * Who the client is, for throttling: the peer address, or with
 * `trustedProxies` > 0 the address that many hops back in X-Forwarded-For,
 * as DRF's `NUM_PROXIES` reads it. Without trusted proxies the header is
 * ignored, since any client can write it.
 */
export function clientAddress(ctx: Context, trustedProxies: number): string {
  const peer = ctx.req.socket.remoteAddress ?? "unknown";
  const forwarded = ctx.req.headers["x-forwarded-for"];
  if (trustedProxies === 0 || forwarded === undefined) return peer;
  const hops = [forwarded].flat().join(",").split(",");
  return hops[hops.length - Math.min(trustedProxies, hops.length)]?.trim() || peer;
}
