import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { tempDir } from "./temp.js";

/**
 * A session bus that accepts connections and never answers: point
 * DBUS_SESSION_BUS_ADDRESS at `address` and the Secret Service hangs.
 */
export async function startHungBus(): Promise<{
  address: string;
  connections: () => number;
  nextConnection: () => Promise<void>;
  close(): Promise<void>;
}> {
  const dir = await tempDir("authctl-bus-");
  const path = join(dir.path, "bus");
  const sockets = new Set<Socket>();
  let count = 0;
  const waiting = new Set<() => void>();
  const server = createServer((socket) => {
    count += 1;
    for (const resolve of waiting) resolve();
    waiting.clear();
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    socket.resume();
  });
  server.listen(path);
  await once(server, "listening");
  return {
    address: `unix:path=${path}`,
    connections: () => count,
    /** Resolves at the next connection: a state to wait for, however slow the machine. */
    nextConnection: () => new Promise<void>((resolve) => waiting.add(resolve)),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      await dir.remove();
    },
  };
}
