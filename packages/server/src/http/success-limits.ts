import type { Middleware } from "koa";
import { Throttled } from "../errors.js";
import type { Rate } from "../throttle/rate.js";
import { RateThrottle } from "../throttle/throttle.js";
import type { ThrottleState } from "../throttle/throttle-state.js";
import { clientAddress } from "./client-address.js";

/** Limits on successful logins and registrations per client address; an absent rate is no limit. */
export interface SuccessLimits {
  login?: Rate | undefined;
  register?: Rate | undefined;
}

/**
 * Counts successful logins (200) and registrations (201) per client address
 * and, past a limit, answers 429 + Retry-After before the view, as DRF's
 * throttles do; failures are the account throttles' business. Off unless
 * configured: scripts provisioning accounts from one machine succeed
 * thousands of times an hour. The history is the throttles' shared state, so
 * every worker and instance counts the same successes.
 */
export function successLimits(limits: SuccessLimits, state: ThrottleState, trustedProxies: number, now: () => number): Middleware {
  const byPath = new Map<string, RateThrottle>();
  if (limits.login) byPath.set("/account/login/", new RateThrottle("login-success", limits.login, state, now));
  if (limits.register) byPath.set("/account/register/", new RateThrottle("register-success", limits.register, state, now));
  return async (ctx, next) => {
    const throttle = ctx.method === "POST" ? byPath.get(ctx.path) : undefined;
    if (!throttle) {
      await next();
      return;
    }
    const address = clientAddress(ctx, trustedProxies);
    const wait = await throttle.wait(address);
    if (wait !== undefined) throw new Throttled(wait);
    await next();
    // Checked before, counted after: the outcome is known only at the end, so concurrent requests may pass
    // a few beyond the limit. This limits volume; it is not a guard against guessing.
    if (ctx.status === 200 || ctx.status === 201) await throttle.count(address);
  };
}
