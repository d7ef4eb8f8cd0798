import Koa from "koa";
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import type { Hasher } from "./auth/hasher.js";
import { HashingGate } from "./auth/hashing-gate.js";
import { DRF_TOKEN_POLICY, type TokenPolicy } from "./auth/token-policy.js";
import type { TokenVault } from "./auth/tokens.js";
import { NotFound } from "./errors.js";
import { appendSlash } from "./http/append-slash.js";
import { inlineJsonParser, type JsonBodyParser } from "./http/json-body-parser.js";
import { requestLog } from "./http/request-log.js";
import { successLimits, type SuccessLimits } from "./http/success-limits.js";
import { silentLogger, type Logger } from "./logger.js";
import { accountRoutes, isAccountPath } from "./routes/account/index.js";
import { healthRouter } from "./routes/health.js";
import { DEFAULT_RESET_TIMEOUT_SECONDS, ResetTokens } from "./auth/reset-tokens.js";
import type { Mailer } from "./mail/mailer.js";
import { PasswordResetMail, type ResetLinkSettings } from "./mail/password-reset-mail.js";
import { isResetPagePath, resetPageRouter } from "./routes/reset-page.js";
import type { Store } from "./store/store.js";
import { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from "./validation/password-rules.js";
import { accountThrottles, type ThrottleConfig } from "./throttle/account-throttles.js";
import { proxyWarning } from "./throttle/proxy-warning.js";
import { MemoryThrottleState, type ThrottleState } from "./throttle/throttle-state.js";

export interface AppConfig {
  /** Largest request body accepted, in bytes; larger ones get 413. */
  bodyLimit: number;
  /** Limits on failed logins and registrations; see DEFAULT_THROTTLES. */
  throttle: ThrottleConfig;
  /** How many proxies in front of us append to X-Forwarded-For (DRF's NUM_PROXIES); 0 ignores the header. */
  trustedProxies: number;
  /** Logins and registrations expected to wait longer than this for password hashing get 503 at once. */
  hashingMaxWaitMs: number;
  /** Limits on successful logins and registrations per client address; none by default. */
  successLimits: SuccessLimits;
  /** Django's AUTH_PASSWORD_VALIDATORS, for password change and reset. */
  passwordPolicy: PasswordPolicy;
  /** Apply `passwordPolicy` at registration too (errors under `password`); the seed does not. */
  registerPasswordRules: boolean;
  /** Django's PASSWORD_RESET_TIMEOUT: how long a reset link works, in seconds. */
  resetTimeoutSeconds: number;
  /** Where reset links point. */
  resetLink: ResetLinkSettings;
  /** DRF's token model (the default) or knox's: per-login, expiring tokens. */
  tokenPolicy: TokenPolicy;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export const DEFAULT_APP_CONFIG: AppConfig = {
  bodyLimit: 1024 * 1024,
  throttle: {
    loginPerUsername: { limit: 100, windowMs: HOUR_MS },
    loginDelayAfter: 10,
    loginPerAddress: { limit: 1000, windowMs: HOUR_MS },
    loginKnownForMs: 30 * DAY_MS,
    registerPerAddress: undefined,
    resetPerEmail: { limit: 5, windowMs: HOUR_MS },
    resetPerAddress: { limit: 100, windowMs: HOUR_MS },
  },
  trustedProxies: 0,
  hashingMaxWaitMs: 3000,
  successLimits: {},
  passwordPolicy: DEFAULT_PASSWORD_POLICY,
  registerPasswordRules: false,
  resetTimeoutSeconds: DEFAULT_RESET_TIMEOUT_SECONDS,
  resetLink: { publicUrl: undefined, linkTemplate: undefined },
  tokenPolicy: DRF_TOKEN_POLICY,
};

export interface AppDeps {
  store: Store;
  hasher: Hasher;
  tokens: TokenVault;
  config?: Partial<AppConfig>;
  /** Reads JSON bodies; parses on the event loop unless a pooled parser is given. */
  jsonParser?: JsonBodyParser;
  /** Throttle history; one process's memory unless a shared state is given. */
  throttleState?: ThrottleState;
  /** The time (ms) throttles and token expiry read: Date.now unless a test injects a clock. */
  clock?: () => number;
  log?: Logger;
  /** Schedules password hashing; on all cores, bounded by `hashingMaxWaitMs`, unless given. */
  hashing?: HashingGate;
  /** Sends reset mail; without one, `password/reset/` answers as usual and sends nothing. */
  mailer?: Mailer;
  /** Keys reset tokens (Django's SECRET_KEY); a random one per app unless given (server.ts derives it from the server key). */
  resetSecret?: string;
}

/** Builds the Koa app from its parts; it reads no environment and opens nothing. */
export function createApp(deps: AppDeps): Koa {
  const { store, hasher, tokens, config = {}, jsonParser, throttleState, clock = Date.now, log = silentLogger, hashing } = deps;
  const settings: AppConfig = { ...DEFAULT_APP_CONFIG, ...config };
  const resetTokens = new ResetTokens(deps.resetSecret ?? randomBytes(32).toString("hex"), settings.resetTimeoutSeconds, clock);
  const app = new Koa();
  app.silent = true;
  const state = throttleState ?? new MemoryThrottleState();
  const account = accountRoutes({
    store,
    hasher,
    tokens,
    tokenPolicy: settings.tokenPolicy,
    clock,
    throttles: accountThrottles(settings.throttle, state, clock),
    hashing: hashing ?? new HashingGate({ parallel: availableParallelism(), maxWaitMs: settings.hashingMaxWaitMs }),
    passwordPolicy: settings.passwordPolicy,
    registerPasswordRules: settings.registerPasswordRules,
    resetTokens,
    resetMail: new PasswordResetMail(store, resetTokens, deps.mailer, settings.resetLink, log),
    bodyLimit: settings.bodyLimit,
    trustedProxies: settings.trustedProxies,
    jsonParser: jsonParser ?? inlineJsonParser,
  });
  const { loginPerAddress, loginPerUsername } = settings.throttle;
  const warnOfProxy = settings.trustedProxies === 0 && (loginPerAddress || loginPerUsername) ? proxyWarning(log) : undefined;
  // Few layers: each costs every request a promise and a closure.
  app.use(requestLog(log, warnOfProxy));
  if (settings.successLimits.login || settings.successLimits.register)
    app.use(successLimits(settings.successLimits, state, settings.trustedProxies, clock));
  // The account views first: they take nearly every request, at paths that end in a slash, which appendSlash leaves alone.
  app.use(account);
  app.use(appendSlash((path) => isAccountPath(path) || isResetPagePath(path)));
  app.use(healthRouter(store).routes());
  app.use(resetPageRouter().routes());
  app.use(() => {
    throw new NotFound();
  });
  return app;
}
