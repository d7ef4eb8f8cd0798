import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Linux's default start of the local ports it gives outgoing connections, where /proc does not say. */
const DEFAULT_FIRST_EPHEMERAL = 32768;
const LOWEST = 10000;

function firstEphemeralPort(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || DEFAULT_FIRST_EPHEMERAL;
  } catch {
    return DEFAULT_FIRST_EPHEMERAL; // not Linux
  }
}

/** Whether a server can listen on 127.0.0.1:`port` now. */
function canListen(port: number): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once("error", () => {
      resolve(false);
    });
    probe.listen(port, "127.0.0.1", () => {
      probe.close(() => {
        resolve(true);
      });
    });
  });
}

/**
 * A free port on 127.0.0.1 for a server that must be told its port (PostgreSQL, an SMTP sink, the DRF reference,
 * gunicorn), below the kernel's range for the local ports of outgoing connections: other tests' and load generators'
 * connections take ports from that range, and one could hold a port picked there by the time the server binds it.
 */
export async function freePort(): Promise<number> {
  const high = Math.max(LOWEST + 1000, firstEphemeralPort());
  for (;;) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
    if (await canListen(port)) return port;
  }
}
