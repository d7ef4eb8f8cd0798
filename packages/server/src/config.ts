import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { DAY_MS, DEFAULT_APP_CONFIG, type AppConfig } from "./app.js";
import { REVOKE_FLAG } from "./auth/secret-key.js";
import type { SuccessLimits } from "./http/success-limits.js";
import { DEFAULT_LOCK_TIMEOUT_MS, PG_DEFAULTS, type DatabaseConfig } from "./store/database.js";
import { parseDatabaseUrl } from "./store/open-store.js";
import type { ThrottleConfig } from "./throttle/account-throttles.js";
import { parseDelayAfter, parseRate, type Rate } from "./throttle/rate.js";
import type { TokenPolicy } from "./auth/token-policy.js";
import { DEFAULT_PASSWORD_POLICY, PASSWORD_RULE_NAMES, type PasswordRuleName } from "./validation/password-rules.js";

export interface ServerConfig extends AppConfig, DatabaseConfig {
  host: string;
  port: number;
  dataDir: string;
  bcryptCost: number;
  /** The token-sealing key, when given instead of `<dataDir>/secret.key`. */
  secretKey: string | undefined;
  /** Open connections beyond this are refused at once; existing ones are unaffected. */
  maxConnections: number;
  /** Open connections from one peer address beyond this are closed at once (per process, like maxConnections). */
  maxConnectionsPerAddress: number;
  /** How long a request waits for a database locked by another process before 503. */
  lockTimeoutMs: number;
  /** Start even though the key did not seal the stored tokens, revoking them all. */
  revokeTokens: boolean;
  /** Server processes on the port (node:cluster); 1 serves from this process alone. */
  workers: number;
  /** Where reset mail is sent (`smtp://` or `smtps://`, credentials included); unset: no mail. */
  smtpUrl: string | undefined;
  /** The From of reset mail (Django's DEFAULT_FROM_EMAIL). */
  mailFrom: string;
}

/** Django's DEFAULT_FROM_EMAIL. */
export const DEFAULT_MAIL_FROM = "webmaster@localhost";

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 8000,
  dataDir: "./data",
  bcryptCost: 12,
  maxConnections: 1024,
  maxConnectionsPerAddress: 256,
} as const;

/** Descriptors kept free beyond the connection cap: the database, its WAL, the log, the key. */
const DESCRIPTOR_HEADROOM = 64;

/**
 * Reads configuration from the environment (and `--revoke-all-tokens` from
 * the arguments); throws a message naming the bad variable. The generic
 * `HOST` is not read: shells such as tcsh export the machine's name in it.
 */
export function loadConfig(env: NodeJS.ProcessEnv, argv: readonly string[] = []): ServerConfig {
  const unknown = argv.filter((arg) => arg !== REVOKE_FLAG);
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]} (the server takes only ${REVOKE_FLAG})`);
  const portVariable = env.AUTHCTL_PORT ? "AUTHCTL_PORT" : "PORT";
  return {
    host: env.AUTHCTL_HOST || DEFAULTS.host,
    port: integer(env, portVariable, DEFAULTS.port, 0, 65535),
    dataDir: resolve(env.AUTHCTL_DATA_DIR || DEFAULTS.dataDir),
    bcryptCost: bcryptCost(env),
    secretKey: env.AUTHCTL_SECRET_KEY || undefined,
    bodyLimit: integer(env, "AUTHCTL_BODY_LIMIT", DEFAULT_APP_CONFIG.bodyLimit, 1, 2 ** 31),
    throttle: throttleConfig(env),
    trustedProxies: integer(env, "AUTHCTL_TRUST_PROXY", 0, 0, 100),
    hashingMaxWaitMs: integer(env, "AUTHCTL_HASH_MAX_WAIT_MS", DEFAULT_APP_CONFIG.hashingMaxWaitMs, 1, 600_000),
    successLimits: successLimitsConfig(env),
    maxConnections: integer(env, "AUTHCTL_MAX_CONNECTIONS", defaultMaxConnections(), 1, 1_000_000),
    maxConnectionsPerAddress: integer(env, "AUTHCTL_MAX_CONNECTIONS_PER_ADDRESS", DEFAULTS.maxConnectionsPerAddress, 1, 1_000_000),
    lockTimeoutMs: integer(env, "AUTHCTL_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MS, 0, 600_000),
    revokeTokens: argv.includes(REVOKE_FLAG),
    workers: integer(env, "AUTHCTL_WORKERS", availableParallelism(), 1, 256),
    tokenPolicy: tokenPolicyConfig(env),
    ...lifecycleConfig(env),
    ...databaseConfig(env),
  };
}

/** Password rules, reset links and mail: the account lifecycle's settings (also read by `admin send-reset`). */
export function lifecycleConfig(env: NodeJS.ProcessEnv): Pick<ServerConfig, "passwordPolicy" | "registerPasswordRules" | "resetTimeoutSeconds" | "resetLink" | "smtpUrl" | "mailFrom"> {
  return {
    passwordPolicy: {
      rules: passwordRules(env.AUTHCTL_PASSWORD_VALIDATORS),
      minLength: integer(env, "AUTHCTL_PASSWORD_MIN_LENGTH", DEFAULT_PASSWORD_POLICY.minLength, 1, 4096),
    },
    registerPasswordRules: onOff(env, "AUTHCTL_REGISTER_PASSWORD_RULES", DEFAULT_APP_CONFIG.registerPasswordRules),
    resetTimeoutSeconds: integer(env, "AUTHCTL_PASSWORD_RESET_TIMEOUT", DEFAULT_APP_CONFIG.resetTimeoutSeconds, 1, 365 * 86_400),
    resetLink: {
      publicUrl: httpUrl(env, "AUTHCTL_PUBLIC_URL"),
      linkTemplate: linkTemplate(env.AUTHCTL_RESET_LINK),
    },
    smtpUrl: smtpUrl(env.AUTHCTL_SMTP_URL),
    mailFrom: env.AUTHCTL_MAIL_FROM || DEFAULT_MAIL_FROM,
  };
}

function passwordRules(raw: string | undefined): PasswordRuleName[] {
  if (raw === undefined || raw.trim() === "") return [...PASSWORD_RULE_NAMES];
  if (raw.trim().toLowerCase() === "none") return [];
  const names = raw.split(",").map((name) => name.trim().toLowerCase());
  const unknown = names.find((name) => !(PASSWORD_RULE_NAMES as readonly string[]).includes(name));
  if (unknown !== undefined) {
    throw new Error(`AUTHCTL_PASSWORD_VALIDATORS must list some of ${PASSWORD_RULE_NAMES.join(",")} (or be "none"), got "${unknown}"`);
  }
  // Django's order, whatever the order given.
  return PASSWORD_RULE_NAMES.filter((name) => names.includes(name));
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? "").trim().toLowerCase();
  if (raw === "") return fallback;
  if (raw !== "on" && raw !== "off") throw new Error(`${name} must be "on" or "off", got "${env[name]}"`);
  return raw === "on";
}

function httpUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be an http:// or https:// URL, got "${raw}"`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password || url.search || url.hash) {
    throw new Error(`${name} must be an http:// or https:// URL without credentials, query or fragment, got "${raw}"`);
  }
  return raw.replace(/\/+$/, "");
}

function linkTemplate(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (!raw.includes("{uid}") || !raw.includes("{token}") || !/^https?:\/\//.test(raw)) {
    throw new Error(`AUTHCTL_RESET_LINK must be an http(s) URL holding {uid} and {token}, got "${raw}"`);
  }
  return raw;
}

/** Checked without ever echoing the URL, which may hold a password. */
function smtpUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let protocol: string;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    throw new Error("AUTHCTL_SMTP_URL must be an smtp:// or smtps:// URL (it is not a URL)");
  }
  if (protocol !== "smtp:" && protocol !== "smtps:") throw new Error(`AUTHCTL_SMTP_URL must be an smtp:// or smtps:// URL, got ${protocol}//…`);
  return raw;
}

/** AUTHCTL_DATABASE_URL and the PostgreSQL pool settings; SQLite in the data directory without it. */
export function databaseConfig(env: NodeJS.ProcessEnv): Omit<DatabaseConfig, "dataDir" | "lockTimeoutMs"> {
  return {
    databaseUrl: parseDatabaseUrl(env.AUTHCTL_DATABASE_URL, "AUTHCTL_DATABASE_URL"),
    pgPoolSize: integer(env, "AUTHCTL_PG_POOL_SIZE", PG_DEFAULTS.poolSize, 1, 1000),
    pgStatementTimeoutMs: integer(env, "AUTHCTL_PG_STATEMENT_TIMEOUT_MS", PG_DEFAULTS.statementTimeoutMs, 0, 600_000),
    pgConnectTimeoutMs: integer(env, "AUTHCTL_PG_CONNECT_TIMEOUT_MS", PG_DEFAULTS.connectTimeoutMs, 0, 600_000),
  };
}

function throttleConfig(env: NodeJS.ProcessEnv): ThrottleConfig {
  const setting = (env.AUTHCTL_THROTTLE || "on").toLowerCase();
  if (setting !== "on" && setting !== "off") throw new Error(`AUTHCTL_THROTTLE must be "on" or "off", got "${env.AUTHCTL_THROTTLE}"`);
  if (setting === "off") return {};
  const defaults = DEFAULT_APP_CONFIG.throttle;
  const rate = (name: string, fallback: Rate | undefined) => {
    const raw = env[name];
    return raw ? parseRate(raw, name) : fallback;
  };
  return {
    loginPerUsername: rate("AUTHCTL_THROTTLE_LOGIN_USERNAME", defaults.loginPerUsername),
    loginDelayAfter: env.AUTHCTL_THROTTLE_LOGIN_DELAY ? parseDelayAfter(env.AUTHCTL_THROTTLE_LOGIN_DELAY, "AUTHCTL_THROTTLE_LOGIN_DELAY") : defaults.loginDelayAfter,
    loginPerAddress: rate("AUTHCTL_THROTTLE_LOGIN_ADDRESS", defaults.loginPerAddress),
    loginKnownForMs: integer(env, "AUTHCTL_THROTTLE_KNOWN_DAYS", (defaults.loginKnownForMs ?? 0) / DAY_MS, 0, 3650) * DAY_MS,
    registerPerAddress: rate("AUTHCTL_THROTTLE_REGISTER", defaults.registerPerAddress),
    resetPerEmail: rate("AUTHCTL_THROTTLE_RESET_EMAIL", defaults.resetPerEmail),
    resetPerAddress: rate("AUTHCTL_THROTTLE_RESET_ADDRESS", defaults.resetPerAddress),
  };
}

/**
 * AUTHCTL_THROTTLE_LOGIN_SUCCESS and AUTHCTL_THROTTLE_REGISTER_SUCCESS: off
 * unless set, and off with every other throttle under AUTHCTL_THROTTLE=off
 * (which throttleConfig reads, answering no limits at all).
 */
function successLimitsConfig(env: NodeJS.ProcessEnv): SuccessLimits {
  if (Object.keys(throttleConfig(env)).length === 0) return {};
  const rate = (name: string) => (env[name] ? parseRate(env[name], name) : undefined);
  return { login: rate("AUTHCTL_THROTTLE_LOGIN_SUCCESS"), register: rate("AUTHCTL_THROTTLE_REGISTER_SUCCESS") };
}

/**
 * AUTHCTL_TOKENS, AUTHCTL_TOKEN_TTL, AUTHCTL_TOKEN_REFRESH, AUTHCTL_TOKEN_MAX_TTL
 * and AUTHCTL_TOKEN_LIMIT: DRF's model unless set; settings that would have
 * no effect are refused rather than ignored.
 */
export function tokenPolicyConfig(env: NodeJS.ProcessEnv): TokenPolicy {
  const model = (env.AUTHCTL_TOKENS || "per-user").trim().toLowerCase();
  if (model !== "per-user" && model !== "per-login") throw new Error(`AUTHCTL_TOKENS must be "per-user" or "per-login", got "${env.AUTHCTL_TOKENS}"`);
  const refresh = (env.AUTHCTL_TOKEN_REFRESH || "none").trim().toLowerCase();
  if (refresh !== "none" && refresh !== "sliding") throw new Error(`AUTHCTL_TOKEN_REFRESH must be "none" or "sliding", got "${env.AUTHCTL_TOKEN_REFRESH}"`);
  const ttlMs = duration(env, "AUTHCTL_TOKEN_TTL");
  const maxTtlMs = duration(env, "AUTHCTL_TOKEN_MAX_TTL");
  if (refresh === "sliding" && ttlMs === undefined) throw new Error("AUTHCTL_TOKEN_REFRESH=sliding needs AUTHCTL_TOKEN_TTL");
  if (maxTtlMs !== undefined && refresh !== "sliding") throw new Error("AUTHCTL_TOKEN_MAX_TTL applies only with AUTHCTL_TOKEN_REFRESH=sliding");
  if (maxTtlMs !== undefined && ttlMs !== undefined && maxTtlMs < ttlMs) throw new Error("AUTHCTL_TOKEN_MAX_TTL must be at least AUTHCTL_TOKEN_TTL");
  const limitSet = env.AUTHCTL_TOKEN_LIMIT !== undefined && env.AUTHCTL_TOKEN_LIMIT !== "";
  if (limitSet && model !== "per-login") throw new Error("AUTHCTL_TOKEN_LIMIT applies only with AUTHCTL_TOKENS=per-login");
  return {
    ttlMs,
    sliding: refresh === "sliding" ? { maxTtlMs } : undefined,
    perLogin: model === "per-login",
    limit: limitSet ? integer(env, "AUTHCTL_TOKEN_LIMIT", 0, 1, 1_000_000) : undefined,
  };
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS };

/** A duration such as `3s`, `10h` or `30d` (whole numbers, up to ten years), in ms; undefined when unset. */
function duration(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = (env[name] ?? "").trim();
  if (raw === "") return undefined;
  const unit = DURATION_UNITS_MS[raw.slice(-1)];
  const count = raw.slice(0, -1);
  const ms = unit === undefined || !/^[0-9]{1,9}$/.test(count) ? NaN : Number(count) * unit;
  if (!(ms > 0 && ms <= 3650 * DAY_MS)) throw new Error(`${name} must be a whole number with s, m, h or d (e.g. 10h, 30d), from 1s to 3650d, got "${env[name]}"`);
  return ms;
}

/** 1024, or less when the process may open fewer files than that plus headroom. */
function defaultMaxConnections(): number {
  const soft = openFileLimit();
  return soft === undefined ? DEFAULTS.maxConnections : Math.max(16, Math.min(DEFAULTS.maxConnections, soft - DESCRIPTOR_HEADROOM));
}

function openFileLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((row) => row.startsWith("Max open files"));
    const soft = Number(line?.slice("Max open files".length).trim().split(/\s+/)[0]);
    return Number.isFinite(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}

/** AUTHCTL_BCRYPT_COST: the server's and the admin commands' hashing cost. */
export function bcryptCost(env: NodeJS.ProcessEnv): number {
  return integer(env, "AUTHCTL_BCRYPT_COST", DEFAULTS.bcryptCost, 4, 31);
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
