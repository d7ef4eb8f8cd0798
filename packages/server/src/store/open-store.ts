import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { SqliteThrottleState } from "../throttle/sqlite-throttle-state.js";
import type { ThrottleState } from "../throttle/throttle-state.js";
import { redactUrl } from "./postgres-errors.js";
import { PostgresStore } from "./postgres-store.js";
import { DATABASE_FILE, SqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

/** Where the accounts live: a PostgreSQL URL, else SQLite in the data directory. */
export interface DatabaseConfig {
  dataDir: string;
  databaseUrl: string | undefined;
  lockTimeoutMs: number;
  pgPoolSize: number;
  pgStatementTimeoutMs: number;
  pgConnectTimeoutMs: number;
}

export interface OpenedStore {
  store: Store;
  /** Throttle history kept in the database, so every process and instance on it shares it. */
  throttleState: ThrottleState | undefined;
  /** Names the database in messages and logs, without any password. */
  name: string;
}

/** Opens (and migrates) the configured database. */
export async function openStore(config: DatabaseConfig): Promise<OpenedStore> {
  if (config.databaseUrl !== undefined) {
    const store = await PostgresStore.open({
      url: config.databaseUrl,
      poolSize: config.pgPoolSize,
      statementTimeoutMs: config.pgStatementTimeoutMs,
      connectTimeoutMs: config.pgConnectTimeoutMs,
    });
    return { store, throttleState: store.throttleState(), name: redactUrl(config.databaseUrl) };
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const path = join(config.dataDir, DATABASE_FILE);
  // The database holds password hashes: create it private before SQLite does.
  closeSync(openSync(path, "a", 0o600));
  const store = new SqliteStore(path, { lockTimeoutMs: config.lockTimeoutMs });
  // Shared by every process on this database file, so workers count failed logins together.
  return { store, throttleState: new SqliteThrottleState(path, { lockTimeoutMs: config.lockTimeoutMs }), name: path };
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** Checks a database URL's scheme; throws a message naming the variable (and no password). */
export function parseDatabaseUrl(raw: string | undefined, variable: string): string | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (!isPostgresUrl(raw)) {
    throw new Error(`${variable} must be a postgres:// URL, got "${redactUrl(raw)}" (leave it unset for SQLite in the data directory)`);
  }
  return raw;
}
