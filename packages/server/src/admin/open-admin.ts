import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { keySource, openServerKey, type KeySource } from "../auth/secret-key.js";
import { TokenVault } from "../auth/tokens.js";
import { databaseConfig, DEFAULTS } from "../config.js";
import { postgresAdminDb, sqliteAdminDb, type AdminDb } from "../store/admin-db.js";
import { isPostgresUrl, openStore } from "../store/open-store.js";
import { redactUrl } from "../store/postgres-errors.js";
import { PostgresStore } from "../store/postgres-store.js";
import { DATABASE_FILE, SqliteStore } from "../store/sqlite-store.js";
import { AdminError } from "./admin-error.js";

/** The server's database as an administrator opens it: migrated, with the key that seals its tokens. */
export interface AdminTarget {
  db: AdminDb;
  /** The database's name for messages: a path, or a URL without its password. */
  name: string;
  keySource: KeySource;
  /** The server key, checked against the database's fingerprint as the server checks it. */
  vault(): Promise<TokenVault>;
  close(): Promise<void>;
}

/** Opens the database a server with this environment would use: AUTHCTL_DATABASE_URL, else the data directory. */
export async function openAdminTarget(env: NodeJS.ProcessEnv, dataDirOption?: string): Promise<AdminTarget> {
  const dataDir = resolve(dataDirOption ?? (env.AUTHCTL_DATA_DIR || DEFAULTS.dataDir));
  const config = { ...databaseConfig(env), dataDir, lockTimeoutMs: 10_000 };
  const opened = await openStore(config);
  const source = keySource(dataDir, env.AUTHCTL_SECRET_KEY || undefined);
  let db: AdminDb;
  if (opened.store instanceof PostgresStore) db = postgresAdminDb(opened.store);
  else {
    await opened.throttleState?.close?.();
    await opened.store.close();
    db = sqliteAdminDb(join(dataDir, DATABASE_FILE));
  }
  let vault: TokenVault | undefined;
  const store = opened.store instanceof PostgresStore ? opened.store : undefined;
  return {
    db,
    name: opened.name,
    keySource: source,
    vault: async () => {
      if (vault) return vault;
      const keyStore = store ?? new SqliteStore(join(dataDir, DATABASE_FILE));
      try {
        const key = await openServerKey({ store: keyStore, source, database: opened.name, revokeTokens: false, log: () => undefined });
        vault = new TokenVault(key);
        return vault;
      } finally {
        if (!store) await keyStore.close();
      }
    },
    close: () => db.close(),
  };
}

/** Opens a database named by `sqlite:///path` (a file or a data directory), a plain path, or `postgres://…`. */
export async function openAdminUrl(url: string): Promise<{ db: AdminDb; name: string }> {
  if (isPostgresUrl(url)) {
    const store = await PostgresStore.open({ url });
    return { db: postgresAdminDb(store), name: redactUrl(url) };
  }
  const path = sqlitePath(url);
  if (!existsSync(path)) throw new AdminError(`${path} does not exist`, "usage");
  await new SqliteStore(path).close();
  return { db: sqliteAdminDb(path), name: path };
}

/** `sqlite:///srv/db.sqlite3` and `sqlite:////srv/db.sqlite3` are /srv/db.sqlite3; a directory means its authctl.sqlite3. */
export function sqlitePath(url: string): string {
  const path = url.startsWith("sqlite://") ? url.slice("sqlite://".length) : url;
  if (path === "" || (url.includes("://") && !url.startsWith("sqlite://"))) {
    throw new AdminError(`expected sqlite:///path/to/db.sqlite3 or postgres://…, got "${redactUrl(url)}"`);
  }
  const absolute = resolve(path);
  try {
    if (statSync(absolute).isDirectory()) return join(absolute, DATABASE_FILE);
  } catch {
    // a file that does not exist yet
  }
  return absolute;
}
