import { execFile } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./ports.js";

const run = promisify(execFile);
const SUPERUSER = "authctl_test";

/** A private PostgreSQL server in a temp directory, for one test file. */
export interface PostgresCluster {
  port: number;
  /** A fresh, empty database; its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server (fast shutdown) and removes its files. */
  stop(): Promise<void>;
  /** Stops the server without removing anything, to test a lost database. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** Debian's newest installed server binaries: /usr/lib/postgresql/<version>/bin. */
export function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  let versions: string[] = [];
  try {
    versions = readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    // handled below
  }
  const newest = versions[0];
  if (newest === undefined) throw new Error("PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does)");
  return join(root, newest, "bin");
}

/** initdb in a temp dir, then pg_ctl start -w on a free port; as the postgres user when running as root. */
export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), "authctl-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pgRun = (tool: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args]) : run(join(bin, tool), args);
  const data = join(dir, "data");
  await pgRun("initdb", ["-D", data, "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--no-sync"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`;
  const start = () => pgRun("pg_ctl", ["start", "-w", "-t", "60", "-D", data, "-l", join(dir, "server.log"), "-o", options]);
  const stopServer = () => pgRun("pg_ctl", ["stop", "-w", "-m", "fast", "-D", data]);
  await start();
  const admin = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  let counter = 0;
  return {
    port,
    createDatabase: async () => {
      counter += 1;
      const name = `authctl_${process.pid}_${counter}`;
      const client = new pg.Client(admin);
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${SUPERUSER}@127.0.0.1:${port}/${name}`;
    },
    pause: async () => {
      await stopServer();
    },
    resume: async () => {
      await start();
    },
    stop: async () => {
      try {
        await stopServer();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
