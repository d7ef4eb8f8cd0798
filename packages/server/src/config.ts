import { resolve } from "node:path";

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  bcryptCost: number;
  /** The token-sealing key, when given instead of `<dataDir>/secret.key`. */
  secretKey: string | undefined;
  bodyLimit: number;
}

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 8000,
  dataDir: "./data",
  bcryptCost: 12,
  bodyLimit: 1024 * 1024,
} as const;

/** Reads configuration from the environment; throws a message naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): ServerConfig {
  return {
    host: env.HOST || DEFAULTS.host,
    port: integer(env, "PORT", DEFAULTS.port, 0, 65535),
    dataDir: resolve(env.AUTHCTL_DATA_DIR || DEFAULTS.dataDir),
    bcryptCost: integer(env, "AUTHCTL_BCRYPT_COST", DEFAULTS.bcryptCost, 4, 31),
    secretKey: env.AUTHCTL_SECRET_KEY || undefined,
    bodyLimit: integer(env, "AUTHCTL_BODY_LIMIT", DEFAULTS.bodyLimit, 1, 2 ** 31),
  };
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
