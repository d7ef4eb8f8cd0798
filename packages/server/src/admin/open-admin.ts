import { closeSync, existsSync, openSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { keySource, openServerKey, type KeySource } from "../auth/secret-key.js";
import { TokenVault } from "../auth/tokens.js";
import { ResetTokens } from "../auth/reset-tokens.js";
import type { ServerConfig } from "../config.js";
import { AccountStore } from "../store/account-store.js";
import { Database, DATABASE_FILE } from "../store/database.js";
import { isPostgresUrl } from "../store/open-store.js";
import { redactUrl } from "../store/postgres-errors.js";
import { AdminError } from "./admin-error.js";

/** The server's database as an administrator opens it: migrated, with the key that seals its tokens. */
export interface AdminTarget {
  db: Database;
  /** The settings a server opening this database would have: hashing cost, mail, reset links. */
  config: ServerConfig;
  /** The database's name for messages: a path, or a URL without its password. */
  name: string;
  /** This open created the SQLite database (allowed only when asked for with `create`). */
  created: boolean;
  keySource: KeySource;
  /** The server key, checked against the database's fingerprint as the server checks it. */
  vault(): Promise<TokenVault>;
  /** The key of password reset tokens, derived from the server key as the server derives it. */
  resetSecret(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens the database a server with these settings uses: AUTHCTL_DATABASE_URL, else the data directory.
 * A SQLite database that does not exist yet is refused (a mistyped or forgotten data directory would
 * otherwise become a new, empty one) unless `create` is set, for the commands that fill a new database.
 */
export async function openAdminTarget(config: ServerConfig, options: { create?: boolean } = {}): Promise<AdminTarget> {
  const { dataDir } = config;
  const created = config.databaseUrl === undefined && !existsSync(join(dataDir, DATABASE_FILE));
  if (created && options.create !== true) {
    throw new AdminError(
      `no database at ${join(dataDir, DATABASE_FILE)}`,
      "usage",
      "name the server's data directory with --data-dir (or AUTHCTL_DATA_DIR); create-user or import-django creates a new one",
    );
  }
  const db = await Database.open(config);
  const source = keySource(dataDir, config.secretKey);
  let key: Promise<Buffer> | undefined;
  const serverKey = () =>
    (key ??= openServerKey({ store: new AccountStore(db), source, database: db.name, revokeTokens: false, log: () => undefined }));
  let vault: TokenVault | undefined;
  return {
    db,
    config,
    name: db.name,
    created,
    keySource: source,
    vault: async () => {
      vault ??= new TokenVault(await serverKey());
      return vault;
    },
    resetSecret: async () => ResetTokens.secretFor(await serverKey()),
    close: () => db.close(),
  };
}

/**
 * Opens a database named by `sqlite:///path` (a file or a data directory), a plain path, or `postgres://…`, with the pool and lock
 * settings of `config`. A SQLite file that does not exist is refused, unless `create` (a copy's target) and its directory exists.
 */
export async function openAdminUrl(url: string, config: ServerConfig, options: { create?: boolean } = {}): Promise<Database> {
  if (isPostgresUrl(url)) return Database.open({ ...config, databaseUrl: url, dataDir: "" });
  const path = sqlitePath(url);
  const needed = options.create === true ? dirname(path) : path;
  if (!existsSync(needed)) throw new AdminError(`${needed} does not exist`, "usage");
  // A new database holds password hashes once filled: created private before SQLite opens it.
  if (options.create === true) closeSync(openSync(path, "a", 0o600));
  return Database.openSqliteFile(path, config.lockTimeoutMs);
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
