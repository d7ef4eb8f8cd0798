import type { Rate } from "./rate.js";
import { Throttle } from "./throttle.js";
import type { ThrottleState } from "./throttle-state.js";

/** Which limits apply; an absent rate is no limit. */
export interface ThrottleConfig {
  /** Failed logins per username (OWASP ASVS 2.2.1: at most 100 an hour). */
  loginPerUsername?: Rate | undefined;
  /** Failed logins per client address: generous, for an office behind one NAT. */
  loginPerAddress?: Rate | undefined;
  /** Registration attempts per client address; off by default (provisioning is scripted). */
  registerPerAddress?: Rate | undefined;
}

export interface AccountThrottles {
  loginPerUsername: Throttle | undefined;
  loginPerAddress: Throttle | undefined;
  registerPerAddress: Throttle | undefined;
}

export function accountThrottles(config: ThrottleConfig, state: ThrottleState): AccountThrottles {
  const make = (scope: string, rate: Rate | undefined) => (rate ? new Throttle(scope, rate, state) : undefined);
  return {
    loginPerUsername: make("login-username", config.loginPerUsername),
    loginPerAddress: make("login-address", config.loginPerAddress),
    registerPerAddress: make("register-address", config.registerPerAddress),
  };
}
