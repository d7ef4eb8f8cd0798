import type { Rate } from "./rate.js";
import { delayWait, windowWait } from "./throttle.js";
import type { Decision, Histories, ThrottleEvent, ThrottleState } from "./throttle-state.js";

/** How failed logins are limited; an absent rate is no limit. */
export interface LoginPolicy {
  /** Failed logins per account (OWASP ASVS 2.2.1: at most 100 an hour); from a known address, counted apart. */
  perUsername: Rate | undefined;
  /** Failures on one account before each further attempt is delayed (1 s, 2 s, 4 s …); undefined for none. */
  delayAfter: number | undefined;
  /** Failed logins per client address; addresses known for the account are exempt (when `perUsername` counts their failures). */
  perAddress: Rate | undefined;
  /** How long an address stays known for an account after a successful login from it; 0 for never. */
  knownForMs: number;
}

/** A login let through to the password check; its failure is already counted. */
export interface LoginAttempt {
  /** The password was right: the attempt no longer counts, and the address becomes known for the account. */
  succeeded(): Promise<void>;
  /** No password was checked (the request failed first): the attempt no longer counts. */
  withdraw(): Promise<void>;
}

export type Admission = { admitted: true; attempt: LoginAttempt } | { admitted: false; wait: number };

/** The keys one login touches in the throttle history. */
interface LoginKeys {
  /** Failures on the account from addresses not known for it. */
  username: string;
  /** Marks the address as known for the account: one event, renewed at each success. */
  known: string;
  /** Failures on the account from that known address. */
  knownFailures: string;
  /** Failures from the address, on any account. */
  address: string;
}

function keysOf(username: string, address: string): LoginKeys {
  const pair = JSON.stringify([username, address]);
  return {
    username: `login-username:${username}`,
    known: `login-known:${pair}`,
    knownFailures: `login-known-failures:${pair}`,
    address: `login-address:${address}`,
  };
}

const NOTHING_COUNTED: LoginAttempt = { succeeded: () => Promise.resolve(), withdraw: () => Promise.resolve() };

/**
 * Failed-login limits that cannot be overshot and resist lock-out. An
 * attempt is counted before its password is checked — checked and recorded
 * in one atomic step of the shared state — and uncounted if it succeeds, so
 * however many race, at most the limit get to the password check. An
 * account's failures from addresses it has logged in from before are
 * counted apart from the rest (OWASP's "device cookies", keyed on the
 * address), so an attacker elsewhere cannot lock its owner out, and those
 * addresses skip the per-address limit, so one proxy's or NAT's failures do
 * not lock out its returning users.
 */
export class LoginThrottle {
  constructor(
    private readonly policy: LoginPolicy,
    private readonly state: ThrottleState,
    private readonly now: () => number,
  ) {}

  async admit(username: string, address: string): Promise<Admission> {
    const { perUsername, perAddress } = this.policy;
    if (!perUsername && !perAddress) return { admitted: true, attempt: NOTHING_COUNTED };
    const keys = keysOf(username, address);
    const now = this.now();
    const verdict = await this.state.admit(Object.values(keys), now, (histories) => this.decide(keys, histories, now));
    if (typeof verdict === "number") return { admitted: false, wait: verdict };
    const known: ThrottleEvent[] = this.remembers() ? [{ key: keys.known, at: now, expires: now + this.policy.knownForMs }] : [];
    return {
      admitted: true,
      attempt: { succeeded: () => this.state.settle(verdict, known), withdraw: () => this.state.settle(verdict, []) },
    };
  }

  /** The seconds to wait, or the events that count this attempt until it succeeds. */
  private decide(keys: LoginKeys, histories: Histories, now: number): Decision<number | readonly ThrottleEvent[]> {
    const { perUsername, delayAfter, perAddress } = this.policy;
    const known = this.remembers() && histories.has(keys.known);
    const accountKey = known ? keys.knownFailures : keys.username;
    const account = histories.get(accountKey) ?? [];
    const waits: (number | undefined)[] = [];
    if (perUsername)
      waits.push(windowWait(account, perUsername, now), delayAfter === undefined ? undefined : delayWait(account, delayAfter, now));
    if (perAddress && !known) waits.push(windowWait(histories.get(keys.address) ?? [], perAddress, now));
    const wait = Math.max(0, ...waits.filter((seconds) => seconds !== undefined));
    if (wait > 0) return { verdict: wait, record: [] };
    const pending: ThrottleEvent[] = [];
    if (perUsername) pending.push({ key: accountKey, at: now, expires: now + perUsername.windowMs });
    if (perAddress) pending.push({ key: keys.address, at: now, expires: now + perAddress.windowMs });
    return { verdict: pending, record: pending };
  }

  /** Known addresses matter only where failures are counted per account: they are counted apart there. */
  private remembers(): boolean {
    return this.policy.knownForMs > 0 && this.policy.perUsername !== undefined;
  }
}
