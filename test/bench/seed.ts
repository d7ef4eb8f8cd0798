/**
 * Data directories for the bench, seeded once and cached under
 * bench/.cache/ so reruns start at once. The schema, the key and its
 * fingerprint come from the server's own store and key code; the rows are
 * inserted in large transactions with one precomputed password hash (hashing
 * a million passwords would take days), in the store's exact columns.
 */
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { BcryptSha256Hasher } from "../../packages/server/src/auth/hasher.js";
import { keySource, openServerKey } from "../../packages/server/src/auth/secret-key.js";
import { TokenVault } from "../../packages/server/src/auth/tokens.js";
import { MIGRATIONS } from "../../packages/server/src/store/migrations.js";
import { DATABASE_FILE, SqliteStore } from "../../packages/server/src/store/sqlite-store.js";

export const BENCH_USER = { username: "bench", email: "bench@example.com", password: "bench-password" };
const BATCH = 50_000;

/** A data directory holding `users` accounts (the bench user among them) hashed at `cost`. */
export async function seededDataDir(cacheDir: string, users: number, cost: number): Promise<string> {
  const dir = join(cacheDir, `users-${users}-cost${cost}-schema${MIGRATIONS.length}`);
  if (existsSync(join(dir, "ready"))) return dir;
  const building = `${dir}.building`;
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true, mode: 0o700 });
  const started = Date.now();
  process.stderr.write(`seeding ${users} users into ${dir} (once; cached for later runs)\n`);
  const databasePath = join(building, DATABASE_FILE);
  const store = new SqliteStore(databasePath);
  const key = await openServerKey({ store, source: keySource(building, undefined), database: databasePath, revokeTokens: false, log: () => {} });
  await store.close();
  const hash = await new BcryptSha256Hasher(cost).hash(BENCH_USER.password);
  insertUsers(databasePath, new TokenVault(key), users, hash);
  await mkdir(join(building, "ready"));
  await rename(building, dir);
  process.stderr.write(`seeded in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return dir;
}

function insertUsers(path: string, vault: TokenVault, users: number, hash: string): void {
  const db = new Database(path);
  db.pragma("synchronous = OFF");
  const now = new Date().toISOString();
  const user = db.prepare<[string, string, string, string]>(
    "INSERT INTO users (username, email, password, is_active, is_staff, is_superuser, date_joined) VALUES (?, ?, ?, 1, 0, 0, ?)",
  );
  const token = db.prepare<[number | bigint, string, string, string]>("INSERT INTO tokens (user_id, digest, sealed, created) VALUES (?, ?, ?, ?)");
  const insert = (username: string, email: string) => {
    const sealed = vault.seal(vault.generate());
    token.run(user.run(username, email, hash, now).lastInsertRowid, sealed.digest, sealed.sealed, now);
  };
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert(`user${i}`, `user${i}@example.com`);
  });
  db.transaction(() => { insert(BENCH_USER.username, BENCH_USER.email); })();
  for (let from = 1; from < users; from += BATCH) batch(from, Math.min(users, from + BATCH));
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
}
