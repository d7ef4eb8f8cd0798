import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { DAY_MS, DEFAULT_APP_CONFIG, type AppConfig } from "./app.js";
import type { TokenPolicy } from "./auth/token-policy.js";
import { DATABASE_FILE, DEFAULT_LOCK_TIMEOUT_MS, PG_DEFAULTS, type DatabaseConfig } from "./store/database.js";
import { parseDatabaseUrl } from "./store/open-store.js";
import type { ThrottleConfig } from "./throttle/account-throttles.js";
import { parseDelayAfter, parseRate, type Rate } from "./throttle/rate.js";
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
  /** How long a request (or an admin command) waits for a database locked by another process. */
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

/** A setting given a value it refuses; the message names the variable or flag and never echoes a secret. */
export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

/** Descriptors kept free beyond the connection cap: the database, its WAL, the log, the key. */
const DESCRIPTOR_HEADROOM = 64;
const MAX_CONNECTIONS = 1024;
const DURATION_UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS };

/** A setting's parser: the text given (the default's when unset) into its value; `name` is the variable or flag it came from. */
type Parser<T> = (name: string) => z.ZodType<T, z.ZodTypeDef, string | undefined>;

/** One setting, documented where it is parsed: `authctl-server --help` and the table in docs/configuration.md come from these. */
export interface Setting<T = unknown> {
  env: string;
  /** Command-line flag; none for secrets, which would show in the process list. */
  flag: string | undefined;
  /** The default as a person writes it (undefined: unset); parsed like a given value. */
  default: string | undefined;
  /** What the documentation shows for the default when it is computed at start. */
  defaultText?: string;
  description: string;
  parse: Parser<T>;
}

/** The text, or a refusal naming the setting and what it wants. */
function checked<T>(
  name: string,
  wants: string,
  convert: (text: string) => T | undefined,
  echo = true,
): z.ZodType<T | undefined, z.ZodTypeDef, string | undefined> {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return undefined;
      const value = convert(text);
      if (value === undefined)
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${name} must be ${wants}${echo ? `, got "${text}"` : ""}` });
      return value;
    });
}

const whole =
  (min: number, max: number): Parser<number> =>
  (name) =>
    checked(name, `a whole number from ${min} to ${max}`, (text) => {
      const value = Number(text);
      return text.trim() !== "" && Number.isInteger(value) && value >= min && value <= max ? value : undefined;
    }).transform((value) => value ?? 0);

const text: Parser<string | undefined> = () => z.string().optional();

const choice =
  <T extends string>(...choices: T[]): Parser<T> =>
  (name) =>
    checked(name, choices.map((option) => `"${option}"`).join(" or "), (given) =>
      choices.find((option) => option === given.trim().toLowerCase()),
    ).transform((value) => value ?? (choices[0] as T));

/** Errors thrown by the parsers the rest of the server uses too (rates, database URLs), as issues. */
const viaThrow =
  <T>(parse: (given: string, name: string) => T): Parser<T | undefined> =>
  (name) =>
    z
      .string()
      .optional()
      .transform((given, ctx) => {
        if (given === undefined) return undefined;
        try {
          return parse(given, name);
        } catch (error) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
          return undefined;
        }
      });

const rate = viaThrow(parseRate);

/** A duration such as `3s`, `10h` or `30d` (whole numbers, up to ten years), in ms. */
const duration: Parser<number | undefined> = (name) =>
  checked(name, "a whole number with s, m, h or d (e.g. 10h, 30d), from 1s to 3650d", (given) => {
    const raw = given.trim();
    const unit = DURATION_UNITS_MS[raw.slice(-1)];
    const ms = unit !== undefined && /^[0-9]{1,9}$/.test(raw.slice(0, -1)) ? Number(raw.slice(0, -1)) * unit : NaN;
    return ms > 0 && ms <= 3650 * DAY_MS ? ms : undefined;
  });

const httpUrl: Parser<string | undefined> = (name) =>
  checked(name, "an http:// or https:// URL without credentials, query or fragment", (given) => {
    const url = URL.canParse(given) ? new URL(given) : undefined;
    const fit =
      url !== undefined &&
      (url.protocol === "http:" || url.protocol === "https:") &&
      !url.username &&
      !url.password &&
      !url.search &&
      !url.hash;
    return fit ? given.replace(/\/+$/, "") : undefined;
  });

const linkTemplate: Parser<string | undefined> = (name) =>
  checked(name, "an http(s) URL holding {uid} and {token}", (given) =>
    given.includes("{uid}") && given.includes("{token}") && /^https?:\/\//.test(given) ? given : undefined,
  );

/** Checked without ever echoing the URL, which may hold a password. */
const smtpUrl: Parser<string | undefined> = (name) =>
  checked(
    name,
    "an smtp:// or smtps:// URL (never shown here: it may hold a password)",
    (given) => (/^smtps?:$/.test(URL.canParse(given) ? new URL(given).protocol : "") ? given : undefined),
    false,
  );

const passwordRules: Parser<PasswordRuleName[]> = (name) =>
  z
    .string()
    .optional()
    .transform((given, ctx) => {
      const raw = (given ?? "").trim().toLowerCase();
      if (raw === "none") return [];
      const names = raw.split(",").map((rule) => rule.trim());
      const unknown = names.find((rule) => !(PASSWORD_RULE_NAMES as readonly string[]).includes(rule));
      if (unknown !== undefined)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `${name} must list some of ${PASSWORD_RULE_NAMES.join(",")} (or be "none"), got "${unknown}"`,
        });
      // Django's order, whatever the order given.
      return PASSWORD_RULE_NAMES.filter((rule) => names.includes(rule));
    });

const rateText = (value: Rate | undefined): string => {
  if (value === undefined) return "off";
  const unit = Object.entries({ second: 1000, minute: 60_000, hour: 3_600_000, day: DAY_MS }).find(([, ms]) => ms === value.windowMs)?.[0];
  return `${value.limit}/${unit ?? "?"}`;
};

const define = <T>(setting: Setting<T>): Setting<T> => setting;
const throttles = DEFAULT_APP_CONFIG.throttle;

/** Every server setting: its variable, flag, default and meaning, in the order `--help` shows them. */
export const SETTINGS = {
  host: define({
    env: "AUTHCTL_HOST",
    flag: "--host",
    default: "127.0.0.1",
    description: "address to listen on (the generic `HOST` is not read: shells such as tcsh export the machine's name in it)",
    parse: (name) => text(name).transform((value) => value ?? ""),
  }),
  port: define({
    env: "AUTHCTL_PORT",
    flag: "--port",
    default: "8000",
    description: "port to listen on (`0` picks a free one); `PORT` is read when `AUTHCTL_PORT` is unset (the platform convention)",
    parse: whole(0, 65535),
  }),
  workers: define({
    env: "AUTHCTL_WORKERS",
    flag: "--workers",
    default: undefined,
    defaultText: "number of CPUs",
    description: "server processes sharing the port (`node:cluster`); `1` serves from one process",
    parse: whole(1, 256),
  }),
  dataDir: define({
    env: "AUTHCTL_DATA_DIR",
    flag: "--data-dir",
    default: "./data",
    description: "where the SQLite database (`authctl.sqlite3`) and `secret.key` live (created 0700)",
    parse: (name) => text(name).transform((value) => resolve(value ?? "")),
  }),
  databaseUrl: define({
    env: "AUTHCTL_DATABASE_URL",
    flag: undefined,
    default: undefined,
    defaultText: "unset (SQLite in the data dir)",
    description:
      "`postgres://user:password@host:5432/db`: use PostgreSQL instead, shared by several instances; never logged with its password",
    parse: viaThrow(parseDatabaseUrl),
  }),
  secretKey: define({
    env: "AUTHCTL_SECRET_KEY",
    flag: undefined,
    default: undefined,
    defaultText: "`<data dir>/secret.key`",
    description: "32-byte key sealing tokens at rest, as 64 hex characters or base64; every instance on one database needs the same",
    parse: text,
  }),
  pgPoolSize: define({
    env: "AUTHCTL_PG_POOL_SIZE",
    flag: "--pg-pool-size",
    default: String(PG_DEFAULTS.poolSize),
    description: "PostgreSQL connections each instance keeps at most",
    parse: whole(1, 1000),
  }),
  pgStatementTimeoutMs: define({
    env: "AUTHCTL_PG_STATEMENT_TIMEOUT_MS",
    flag: "--pg-statement-timeout-ms",
    default: String(PG_DEFAULTS.statementTimeoutMs),
    description: 'a statement running longer is cancelled (`statement_timeout`) and the request answers 503 "busy"',
    parse: whole(0, 600_000),
  }),
  pgConnectTimeoutMs: define({
    env: "AUTHCTL_PG_CONNECT_TIMEOUT_MS",
    flag: "--pg-connect-timeout-ms",
    default: String(PG_DEFAULTS.connectTimeoutMs),
    description: 'how long a request waits for a connection (pool full or server away) before 503 "unavailable"',
    parse: whole(0, 600_000),
  }),
  lockTimeoutMs: define({
    env: "AUTHCTL_LOCK_TIMEOUT_MS",
    flag: "--lock-timeout-ms",
    default: String(DEFAULT_LOCK_TIMEOUT_MS),
    description: "how long a request (or an admin command) waits for a database locked by another process before 503",
    parse: whole(0, 600_000),
  }),
  bcryptCost: define({
    env: "AUTHCTL_BCRYPT_COST",
    flag: "--bcrypt-cost",
    default: "12",
    description: "bcrypt work factor, 4–31; older hashes are upgraded at the next login",
    parse: whole(4, 31),
  }),
  bodyLimit: define({
    env: "AUTHCTL_BODY_LIMIT",
    flag: "--body-limit",
    default: String(DEFAULT_APP_CONFIG.bodyLimit),
    description: "largest request body in bytes",
    parse: whole(1, 2 ** 31),
  }),
  trustProxy: define({
    env: "AUTHCTL_TRUST_PROXY",
    flag: "--trust-proxy",
    default: String(DEFAULT_APP_CONFIG.trustedProxies),
    description: "how many reverse proxies in front append to `X-Forwarded-For` (DRF's `NUM_PROXIES`); `0` ignores the header",
    parse: whole(0, 100),
  }),
  maxConnections: define({
    env: "AUTHCTL_MAX_CONNECTIONS",
    flag: "--max-connections",
    default: undefined,
    defaultText: `\`${MAX_CONNECTIONS}\` (less if \`ulimit -n\` is lower)`,
    description:
      "open connections per worker process; at the cap the connection idle longest is closed to admit a new one, or the new one is closed on arrival if none is idle",
    parse: whole(1, 1_000_000),
  }),
  maxConnectionsPerAddress: define({
    env: "AUTHCTL_MAX_CONNECTIONS_PER_ADDRESS",
    flag: "--max-connections-per-address",
    default: "256",
    description:
      "open connections per worker from one peer address; beyond it new ones from that address are closed on arrival. Behind a reverse proxy every connection comes from the proxy: set it to `AUTHCTL_MAX_CONNECTIONS`",
    parse: whole(1, 1_000_000),
  }),
  hashMaxWaitMs: define({
    env: "AUTHCTL_HASH_MAX_WAIT_MS",
    flag: "--hash-max-wait-ms",
    default: String(DEFAULT_APP_CONFIG.hashingMaxWaitMs),
    description:
      "a login or registration expected to wait longer than this for password hashing (at the measured hash time) gets `503` with `Retry-After` at once",
    parse: whole(1, 600_000),
  }),
  throttle: define({
    env: "AUTHCTL_THROTTLE",
    flag: "--throttle",
    default: "on",
    description: "`off` disables every throttle below",
    parse: choice("on", "off"),
  }),
  throttleLoginUsername: define({
    env: "AUTHCTL_THROTTLE_LOGIN_USERNAME",
    flag: "--throttle-login-username",
    default: rateText(throttles.loginPerUsername),
    description: "failed logins per username, in DRF's rate syntax (`N/second`, `minute`, `hour`, `day`), or `off`",
    parse: rate,
  }),
  throttleLoginAddress: define({
    env: "AUTHCTL_THROTTLE_LOGIN_ADDRESS",
    flag: "--throttle-login-address",
    default: rateText(throttles.loginPerAddress),
    description: "failed logins per client address, or `off`",
    parse: rate,
  }),
  throttleLoginDelay: define({
    env: "AUTHCTL_THROTTLE_LOGIN_DELAY",
    flag: "--throttle-login-delay",
    default: String(throttles.loginDelayAfter ?? "off"),
    description:
      "failed logins on one account (in its window) after which each further attempt waits 1 s, 2 s, 4 s … (at most 5 min) after the previous failure, or `off`",
    parse: viaThrow(parseDelayAfter),
  }),
  throttleKnownDays: define({
    env: "AUTHCTL_THROTTLE_KNOWN_DAYS",
    flag: "--throttle-known-days",
    default: String((throttles.loginKnownForMs ?? 0) / DAY_MS),
    description:
      "days a successful login keeps its address known for the account (failures from there counted apart, no per-address limit); `0` for never",
    parse: whole(0, 3650),
  }),
  throttleRegister: define({
    env: "AUTHCTL_THROTTLE_REGISTER",
    flag: "--throttle-register",
    default: rateText(throttles.registerPerAddress),
    description: "registration attempts per client address, e.g. `20/hour`",
    parse: rate,
  }),
  throttleLoginSuccess: define({
    env: "AUTHCTL_THROTTLE_LOGIN_SUCCESS",
    flag: "--throttle-login-success",
    default: "off",
    description: "successful logins per client address, e.g. `600/hour`; past it, 429 before the password is checked",
    parse: rate,
  }),
  throttleRegisterSuccess: define({
    env: "AUTHCTL_THROTTLE_REGISTER_SUCCESS",
    flag: "--throttle-register-success",
    default: "off",
    description: "successful registrations per client address, e.g. `100/hour` (bulk provisioning from one machine makes thousands)",
    parse: rate,
  }),
  throttleResetEmail: define({
    env: "AUTHCTL_THROTTLE_RESET_EMAIL",
    flag: "--throttle-reset-email",
    default: rateText(throttles.resetPerEmail),
    description: "password reset requests per e-mail address (each may send a mail), or `off`",
    parse: rate,
  }),
  throttleResetAddress: define({
    env: "AUTHCTL_THROTTLE_RESET_ADDRESS",
    flag: "--throttle-reset-address",
    default: rateText(throttles.resetPerAddress),
    description: "password reset requests per client address, or `off`",
    parse: rate,
  }),
  smtpUrl: define({
    env: "AUTHCTL_SMTP_URL",
    flag: undefined,
    default: undefined,
    defaultText: "unset (no reset mail)",
    description:
      "`smtp://user:password@host:587` (STARTTLS when offered, `?requireTLS=true` to insist) or `smtps://…:465`; never logged with its password",
    parse: smtpUrl,
  }),
  mailFrom: define({
    env: "AUTHCTL_MAIL_FROM",
    flag: "--mail-from",
    default: "webmaster@localhost",
    description: "the reset mail's From (Django's `DEFAULT_FROM_EMAIL`)",
    parse: (name) => text(name).transform((value) => value ?? ""),
  }),
  publicUrl: define({
    env: "AUTHCTL_PUBLIC_URL",
    flag: "--public-url",
    default: undefined,
    defaultText: "unset (the request's host, over http)",
    description: "`https://auth.example.com`: where reset links point and the name in the mail; `admin send-reset` needs it",
    parse: httpUrl,
  }),
  resetLink: define({
    env: "AUTHCTL_RESET_LINK",
    flag: "--reset-link",
    default: undefined,
    defaultText: "unset (the server's reset page)",
    description: "a reset page elsewhere, with `{uid}` and `{token}`: `https://app.example.com/reset/{uid}/{token}`",
    parse: linkTemplate,
  }),
  passwordResetTimeout: define({
    env: "AUTHCTL_PASSWORD_RESET_TIMEOUT",
    flag: "--password-reset-timeout",
    default: String(DEFAULT_APP_CONFIG.resetTimeoutSeconds),
    description: "seconds a reset link works (Django's `PASSWORD_RESET_TIMEOUT`)",
    parse: whole(1, 365 * 86_400),
  }),
  passwordValidators: define({
    env: "AUTHCTL_PASSWORD_VALIDATORS",
    flag: "--password-validators",
    default: DEFAULT_PASSWORD_POLICY.rules.join(","),
    description: "Django's password rules that apply to new passwords (any of the four, always run in Django's order), or `none`",
    parse: passwordRules,
  }),
  passwordMinLength: define({
    env: "AUTHCTL_PASSWORD_MIN_LENGTH",
    flag: "--password-min-length",
    default: String(DEFAULT_PASSWORD_POLICY.minLength),
    description: "the `length` rule's minimum (`MinimumLengthValidator`'s `min_length`)",
    parse: whole(1, 4096),
  }),
  registerPasswordRules: define({
    env: "AUTHCTL_REGISTER_PASSWORD_RULES",
    flag: "--register-password-rules",
    default: DEFAULT_APP_CONFIG.registerPasswordRules ? "on" : "off",
    description: "`on` applies the password rules at registration too (messages under `password`)",
    parse: choice("on", "off"),
  }),
  tokens: define({
    env: "AUTHCTL_TOKENS",
    flag: "--tokens",
    default: "per-user",
    description: "`per-login`: a new token at each login, as knox (see Token models); `per-user`: DRF's one token per user",
    parse: choice("per-user", "per-login"),
  }),
  tokenTtl: define({
    env: "AUTHCTL_TOKEN_TTL",
    flag: "--token-ttl",
    default: undefined,
    defaultText: "unset (tokens never expire)",
    description: "how long a token works: a whole number with `s`, `m`, `h` or `d` (`10h`, `30d`)",
    parse: duration,
  }),
  tokenRefresh: define({
    env: "AUTHCTL_TOKEN_REFRESH",
    flag: "--token-refresh",
    default: "none",
    description: "`sliding`: each use (written at most once a minute) moves the expiry to now + TTL; needs `AUTHCTL_TOKEN_TTL`",
    parse: choice("none", "sliding"),
  }),
  tokenMaxTtl: define({
    env: "AUTHCTL_TOKEN_MAX_TTL",
    flag: "--token-max-ttl",
    default: undefined,
    defaultText: "unset (no cap)",
    description: "with sliding refresh, a token never lives past its creation plus this",
    parse: duration,
  }),
  tokenLimit: define({
    env: "AUTHCTL_TOKEN_LIMIT",
    flag: "--token-limit",
    default: undefined,
    defaultText: "unset (no limit)",
    description: "live tokens per user with `AUTHCTL_TOKENS=per-login`; past it a login gets knox's 403",
    parse: whole(1, 1_000_000),
  }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
type Values = { [K in SettingKey]: z.output<ReturnType<(typeof SETTINGS)[K]["parse"]>> };

/** Flags as a command-line parser gives them (camelCase), overriding the environment. */
export type SettingFlags = Partial<Record<SettingKey, string>> & { revokeAllTokens?: boolean };

/** Where a setting's text comes from: the flag when given, else the variable (PORT after AUTHCTL_PORT), else the default. */
function source(key: SettingKey, env: NodeJS.ProcessEnv, flags: SettingFlags): { name: string; text: string | undefined } {
  const setting: Setting = SETTINGS[key];
  const flagged = flags[key];
  if (flagged !== undefined && setting.flag !== undefined) return { name: setting.flag, text: flagged };
  for (const name of key === "port" ? [setting.env, "PORT"] : [setting.env]) {
    const given = env[name];
    if (given !== undefined && given !== "") return { name, text: given };
  }
  return { name: setting.env, text: setting.default };
}

/** Settings that only mean something together with others: refused rather than silently ignored. */
function combinations(values: Values, env: NodeJS.ProcessEnv, flags: SettingFlags, ctx: z.RefinementCtx): void {
  const given = (key: SettingKey) => source(key, env, flags).text !== SETTINGS[key].default;
  const refuse = (message: string) => {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message });
  };
  const sliding = values.tokenRefresh === "sliding";
  if (sliding && values.tokenTtl === undefined) refuse("AUTHCTL_TOKEN_REFRESH=sliding needs AUTHCTL_TOKEN_TTL");
  if (values.tokenMaxTtl !== undefined && !sliding) refuse("AUTHCTL_TOKEN_MAX_TTL applies only with AUTHCTL_TOKEN_REFRESH=sliding");
  if (values.tokenMaxTtl !== undefined && values.tokenTtl !== undefined && values.tokenMaxTtl < values.tokenTtl)
    refuse("AUTHCTL_TOKEN_MAX_TTL must be at least AUTHCTL_TOKEN_TTL");
  if (given("tokenLimit") && values.tokens !== "per-login") refuse("AUTHCTL_TOKEN_LIMIT applies only with AUTHCTL_TOKENS=per-login");
}

/**
 * The server's settings from the environment and flags, parsed and checked
 * once (SETTINGS): every part (server, cluster, admin, import, copy) gets
 * this object. Throws SettingsError naming the first bad variable or flag.
 */
export function loadConfig(env: NodeJS.ProcessEnv, flags: SettingFlags = {}): ServerConfig {
  const keys = Object.keys(SETTINGS) as SettingKey[];
  const shape = Object.fromEntries(keys.map((key) => [key, SETTINGS[key].parse(source(key, env, flags).name)]));
  const schema = z.object(shape).superRefine((values, ctx) => {
    combinations(values as Values, env, flags, ctx);
  });
  const parsed = schema.safeParse(Object.fromEntries(keys.map((key) => [key, source(key, env, flags).text])));
  if (!parsed.success) throw new SettingsError(parsed.error.issues[0]?.message ?? "invalid settings");
  return toConfig(parsed.data as Values, flags.revokeAllTokens === true);
}

function toConfig(values: Values, revokeTokens: boolean): ServerConfig {
  const on = values.throttle === "on";
  return {
    host: values.host,
    port: values.port,
    workers: values.workers || availableParallelism(),
    dataDir: values.dataDir,
    databaseUrl: values.databaseUrl,
    secretKey: values.secretKey || undefined,
    pgPoolSize: values.pgPoolSize,
    pgStatementTimeoutMs: values.pgStatementTimeoutMs,
    pgConnectTimeoutMs: values.pgConnectTimeoutMs,
    lockTimeoutMs: values.lockTimeoutMs,
    bcryptCost: values.bcryptCost,
    bodyLimit: values.bodyLimit,
    trustedProxies: values.trustProxy,
    hashingMaxWaitMs: values.hashMaxWaitMs,
    maxConnections: values.maxConnections || defaultMaxConnections(),
    maxConnectionsPerAddress: values.maxConnectionsPerAddress,
    revokeTokens,
    throttle: on ? throttleConfig(values) : {},
    successLimits: on ? { login: values.throttleLoginSuccess, register: values.throttleRegisterSuccess } : {},
    passwordPolicy: { rules: values.passwordValidators, minLength: values.passwordMinLength },
    registerPasswordRules: values.registerPasswordRules === "on",
    resetTimeoutSeconds: values.passwordResetTimeout,
    resetLink: { publicUrl: values.publicUrl, linkTemplate: values.resetLink },
    smtpUrl: values.smtpUrl,
    mailFrom: values.mailFrom,
    tokenPolicy: tokenPolicy(values),
  };
}

function throttleConfig(values: Values): ThrottleConfig {
  return {
    loginPerUsername: values.throttleLoginUsername,
    loginDelayAfter: values.throttleLoginDelay,
    loginPerAddress: values.throttleLoginAddress,
    loginKnownForMs: values.throttleKnownDays * DAY_MS,
    registerPerAddress: values.throttleRegister,
    resetPerEmail: values.throttleResetEmail,
    resetPerAddress: values.throttleResetAddress,
  };
}

function tokenPolicy(values: Values): TokenPolicy {
  const sliding = values.tokenRefresh === "sliding";
  return {
    ttlMs: values.tokenTtl,
    sliding: sliding ? { maxTtlMs: values.tokenMaxTtl } : undefined,
    perLogin: values.tokens === "per-login",
    limit: values.tokens === "per-login" ? values.tokenLimit || undefined : undefined,
  };
}

/** The store a server with this configuration uses, for its start-up line: never a password. */
export function describeStore(config: Pick<ServerConfig, "databaseUrl" | "dataDir">): string {
  if (config.databaseUrl === undefined) return `SQLite at ${join(config.dataDir, DATABASE_FILE)}`;
  const url = new URL(config.databaseUrl);
  return `PostgreSQL at ${url.hostname || "localhost"}:${url.port || "5432"}${url.pathname}`;
}

/** 1024, or less when the process may open fewer files than that plus headroom. */
function defaultMaxConnections(): number {
  const soft = openFileLimit();
  return soft === undefined ? MAX_CONNECTIONS : Math.max(16, Math.min(MAX_CONNECTIONS, soft - DESCRIPTOR_HEADROOM));
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
