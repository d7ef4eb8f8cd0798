import { AccountStore } from "./account-store.js";
import { Database, type DatabaseConfig } from "./database.js";
import { startHeartbeat } from "./heartbeat.js";
import { redactUrl } from "./postgres-errors.js";
import type { Store } from "./store.js";
import { DatabaseThrottleState } from "./throttle-events.js";
import type { ThrottleState } from "../throttle/throttle-state.js";

export interface OpenedStore {
  store: Store;
  /** Throttle history kept in the database, so every process and instance on it shares it. */
  throttleState: ThrottleState;
  /** Names the database in messages and logs, without any password. */
  name: string;
  /** Stops the heartbeat, if one runs, and closes the database. */
  close(): Promise<void>;
}

/**
 * Opens (and migrates) the configured database: PostgreSQL when a URL is set,
 * else SQLite in the data directory. A serving process keeps a `heartbeat`
 * in it, so administration can tell the database is in use.
 */
export async function openStore(config: DatabaseConfig, options: { heartbeat?: boolean } = {}): Promise<OpenedStore> {
  const database = await Database.open(config);
  const opened = [database];
  try {
    // On SQLite the throttle history has its own relaxed handle (see Database.open); PostgreSQL shares the pool.
    const throttleDatabase = config.databaseUrl === undefined ? await Database.open(config, { relaxed: true, migrate: false }) : database;
    if (throttleDatabase !== database) opened.push(throttleDatabase);
    const heartbeat = options.heartbeat === true ? await startHeartbeat(database) : undefined;
    return {
      store: new AccountStore(database),
      throttleState: new DatabaseThrottleState(throttleDatabase),
      name: database.name,
      close: async () => {
        await heartbeat?.stop();
        await Promise.all(opened.map((handle) => handle.close()));
      },
    };
  } catch (error) {
    await Promise.all(opened.map((handle) => handle.close()));
    throw error;
  }
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
