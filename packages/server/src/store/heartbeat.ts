import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Database } from "./database.js";
import { liveServers, removeServer, touchServer, type ServerRow } from "./queries.js";

/** How often a running server says it is alive. */
export const HEARTBEAT_MS = 10_000;
/** A server not seen for this long is gone (killed, or its machine is): three missed beats. */
export const GONE_AFTER_MS = 3 * HEARTBEAT_MS;

export interface Heartbeat {
  /** Says this server is gone: its row is deleted. */
  stop(): Promise<void>;
}

/**
 * Keeps one row per running server process in the database it serves, so an
 * administrator's command (copy, rotate-key) can refuse a database that
 * servers are using, on whichever machine they run. A beat that cannot be
 * written (the database busy or away) is skipped: the request path says
 * what is wrong, and the next beat tries again.
 */
export async function startHeartbeat(database: Database, now: () => number = Date.now): Promise<Heartbeat> {
  const row: ServerRow = { id: randomUUID(), host: hostname(), pid: process.pid, started: new Date(now()).toISOString(), seen: now() };
  const beat = () => database.run((conn) => touchServer(conn, { ...row, seen: now() })).catch(() => undefined);
  await beat();
  const timer = setInterval(() => void beat(), HEARTBEAT_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await database.run((conn) => removeServer(conn, row.id)).catch(() => undefined);
    },
  };
}

/** The servers using `database` now. */
export function runningServers(database: Database, now = Date.now()): Promise<ServerRow[]> {
  return database.run((conn) => liveServers(conn, now - GONE_AFTER_MS));
}

/** "2 server processes (web-1 pid 812, web-2 pid 90)", for refusals: each worker of a server is one. */
export function describeServers(servers: readonly ServerRow[]): string {
  const list = servers.map((server) => `${server.host} pid ${server.pid}`).join(", ");
  return `${servers.length} server process${servers.length === 1 ? "" : "es"} (${list})`;
}
