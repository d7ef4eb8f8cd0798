import { Pool } from "undici";
import { spawnServer, type ServerProcess } from "../helpers/server.js";

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A keep-alive connection pool to one server, so a thousand requests do not mean a thousand sockets;
 * from `localAddress` (127.0.0.2, 127.0.0.3, …) to play a client of its own.
 */
export function client(url: string, connections = 32, localAddress?: string) {
  const pool = new Pool(url, { connections, pipelining: 1, ...(localAddress ? { localAddress } : {}) });
  return {
    pool,
    async request(
      path: string,
      options: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
    ): Promise<Answer> {
      const response = await pool.request({
        path,
        method: options.method ?? "POST",
        headers: options.headers ?? {},
        body: options.body ?? null,
      });
      return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
    },
    postJson(path: string, value: unknown, headers: Record<string, string> = {}): Promise<Answer> {
      return this.request(path, { body: JSON.stringify(value), headers: { "content-type": "application/json", ...headers } });
    },
    close: () => pool.close(),
  };
}

/** The built server as a child process on `dataDir`, at the tests' low bcrypt cost unless `env` says otherwise. */
export function serverOn(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return spawnServer({ AUTHCTL_DATA_DIR: dataDir, ...env });
}

/** Milliseconds since `start`, for the figures the suite reports. */
export const since = (start: number) => Math.round(performance.now() - start);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
