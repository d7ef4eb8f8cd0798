/**
 * Data directories for the bench, seeded once and cached under
 * bench/.cache/ so reruns start at once. The schema, the key and its
 * fingerprint come from the server's own store and key code; the rows are
 * inserted in large transactions with one precomputed password hash (hashing
 * a million passwords would take days), through the data layer's own queries.
 */
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { BcryptSha256Hasher } from "../../packages/server/src/auth/hasher.js";
import { keySource, openServerKey } from "../../packages/server/src/auth/secret-key.js";
import { TokenVault } from "../../packages/server/src/auth/tokens.js";
import { AccountStore } from "../../packages/server/src/store/account-store.js";
import { Database, type Conn } from "../../packages/server/src/store/database.js";
import { migrations } from "../../packages/server/src/store/migrations.js";
import { insertToken, insertUser } from "../../packages/server/src/store/queries.js";
import { databaseConfig } from "../helpers/database.js";

export const BENCH_USER = { username: "bench", email: "bench@example.com", password: "bench-password" };
const BATCH = 50_000;

/** A data directory holding `users` accounts (the bench user among them) hashed at `cost`. */
export async function seededDataDir(cacheDir: string, users: number, cost: number): Promise<string> {
  const dir = join(cacheDir, `users-${users}-cost${cost}-schema${Object.keys(migrations("sqlite")).length}`);
  if (existsSync(join(dir, "ready"))) return dir;
  const building = `${dir}.building`;
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true, mode: 0o700 });
  const started = Date.now();
  process.stderr.write(`seeding ${users} users into ${dir} (once; cached for later runs)\n`);
  const database = await Database.open(databaseConfig({ dataDir: building }));
  try {
    const store = new AccountStore(database);
    const key = await openServerKey({
      store,
      source: keySource(building, undefined),
      database: database.name,
      revokeTokens: false,
      log: () => {},
    });
    const hash = await new BcryptSha256Hasher(cost).hash(BENCH_USER.password);
    await insertUsers(database, new TokenVault(key), users, hash);
  } finally {
    await database.close();
  }
  await mkdir(join(building, "ready"));
  await rename(building, dir);
  process.stderr.write(`seeded in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return dir;
}

async function insertUsers(database: Database, vault: TokenVault, users: number, hash: string): Promise<void> {
  const dateJoined = new Date().toISOString();
  const insert = async (conn: Conn, username: string, email: string) => {
    const id = await insertUser(conn, {
      username,
      email,
      passwordHash: hash,
      isActive: true,
      isStaff: false,
      isSuperuser: false,
      dateJoined,
    });
    await insertToken(conn, id, { sealed: vault.seal(vault.generate()), created: dateJoined, expiry: null, name: "" }, { perUser: true });
  };
  await database.transaction((conn) => insert(conn, BENCH_USER.username, BENCH_USER.email));
  for (let from = 1; from < users; from += BATCH) {
    await database.transaction(async (conn) => {
      for (let i = from; i < Math.min(users, from + BATCH); i++) await insert(conn, `user${i}`, `user${i}@example.com`);
    });
  }
}
