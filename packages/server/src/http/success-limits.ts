import type { Middleware } from "koa";
import { Throttled } from "../errors.js";
import type { Rate } from "../throttle/rate.js";
import { windowWait } from "../throttle/throttle.js";
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
  const byPath = new Map<string, SuccessCount>();
  if (limits.login) byPath.set("/account/login/", new SuccessCount("login-success", limits.login, state, now));
  if (limits.register) byPath.set("/account/register/", new SuccessCount("register-success", limits.register, state, now));
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
    if (ctx.status === 200 || ctx.status === 201) await throttle.record(address);
  };
}

/**
 * Successes under one kind of key: checked before the view, counted after it
 * succeeded. Not one atomic step (the outcome is known only at the end), so
 * concurrent requests may pass a few beyond the limit: this limits volume, it
 * is not a guard against guessing.
 */
class SuccessCount {
  constructor(
    private readonly scope: string,
    private readonly rate: Rate,
    private readonly state: ThrottleState,
    private readonly now: () => number,
  ) {}

  wait(key: string): Promise<number | undefined> {
    const scoped = `${this.scope}:${key}`;
    const now = this.now();
    return this.state.admit([scoped], now, (histories) => ({ verdict: windowWait(histories.get(scoped) ?? [], this.rate, now), record: [] }));
  }

  async record(key: string): Promise<void> {
    const scoped = `${this.scope}:${key}`;
    const now = this.now();
    await this.state.admit([scoped], now, () => ({ verdict: undefined, record: [{ key: scoped, at: now, expires: now + this.rate.windowMs }] }));
  }
}
