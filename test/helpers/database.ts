import { AccountStore } from "../../packages/server/src/store/account-store.js";
import { Database, PG_DEFAULTS, type DatabaseConfig } from "../../packages/server/src/store/database.js";

/** The settings a server with defaults would use for SQLite in `dataDir`, or PostgreSQL at `databaseUrl`. */
export function databaseConfig(where: { dataDir?: string; databaseUrl?: string }, overrides: Partial<DatabaseConfig> = {}): DatabaseConfig {
  return {
    dataDir: where.dataDir ?? "",
    databaseUrl: where.databaseUrl,
    lockTimeoutMs: 5000,
    pgPoolSize: PG_DEFAULTS.poolSize,
    pgStatementTimeoutMs: PG_DEFAULTS.statementTimeoutMs,
    pgConnectTimeoutMs: PG_DEFAULTS.connectTimeoutMs,
    ...overrides,
  };
}

/** The request path's store on a migrated database, as the server opens it. */
export async function openAccountStore(
  where: { dataDir?: string; databaseUrl?: string },
  overrides: Partial<DatabaseConfig> = {},
): Promise<AccountStore> {
  return new AccountStore(await Database.open(databaseConfig(where, overrides)));
}

/** An empty, migrated SQLite database in `dataDir`, as a server's first start leaves it. */
export async function createEmptyDatabase(dataDir: string): Promise<void> {
  await (await Database.open(databaseConfig({ dataDir }))).close();
}
