import { LoginThrottle } from "./login-throttle.js";
import type { Rate } from "./rate.js";
import { RateThrottle } from "./throttle.js";
import type { ThrottleState } from "./throttle-state.js";

/** Which limits apply; an absent rate is no limit. */
export interface ThrottleConfig {
  /** Failed logins per username (OWASP ASVS 2.2.1: at most 100 an hour). */
  loginPerUsername?: Rate | undefined;
  /** Failed logins on one username before each further attempt waits 1 s, 2 s, 4 s …; absent for no delay. */
  loginDelayAfter?: number | undefined;
  /** Failed logins per client address: generous, for an office behind one NAT. */
  loginPerAddress?: Rate | undefined;
  /** How long a successful login makes its address known for the account (its failures counted apart); 0 or absent for never. */
  loginKnownForMs?: number | undefined;
  /** Registration attempts per client address; off by default (provisioning is scripted). */
  registerPerAddress?: Rate | undefined;
  /** Password reset requests per e-mail address (each may send a mail): a mailbox cannot be flooded. */
  resetPerEmail?: Rate | undefined;
  /** Password reset requests per client address. */
  resetPerAddress?: Rate | undefined;
}

export interface AccountThrottles {
  login: LoginThrottle;
  registerPerAddress: RateThrottle | undefined;
  resetPerEmail: RateThrottle | undefined;
  resetPerAddress: RateThrottle | undefined;
}

export function accountThrottles(config: ThrottleConfig, state: ThrottleState, now: () => number): AccountThrottles {
  const policy = {
    perUsername: config.loginPerUsername,
    delayAfter: config.loginDelayAfter,
    perAddress: config.loginPerAddress,
    knownForMs: config.loginKnownForMs ?? 0,
  };
  return {
    login: new LoginThrottle(policy, state, now),
    registerPerAddress: config.registerPerAddress && new RateThrottle("register-address", config.registerPerAddress, state, now),
    resetPerEmail: config.resetPerEmail && new RateThrottle("reset-email", config.resetPerEmail, state, now),
    resetPerAddress: config.resetPerAddress && new RateThrottle("reset-address", config.resetPerAddress, state, now),
  };
}
