import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface ConnectionLimits {
  /** Open connections this process keeps at most. */
  maxConnections: number;
  /** Open connections one peer address keeps at most. */
  maxPerAddress: number;
}

/**
 * Counts a server's connections itself and closes those over the limits on
 * arrival. `server.maxConnections` is not used: in a cluster a worker at that
 * cap declines the connection and the primary hands it to another worker,
 * which declines it too, back and forth, so nobody is served or refused.
 *
 * At the process cap, the connection idle longest (kept alive after a
 * response, which HTTP lets a server close at any time) is closed to admit
 * the newcomer; only when none is idle is the newcomer closed. A peer over
 * its own limit is closed at once, so one client cannot take every slot.
 *
 * `drain()` is the graceful half of a shutdown: idle connections close now,
 * responses not yet begun say `Connection: close`, and a kept-alive
 * connection closes as soon as its response is written.
 */
export class ConnectionGuard {
  private open = 0;
  private readonly byAddress = new Map<string, number>();
  /** Kept-alive connections between requests, longest idle first (a Map keeps insertion order). */
  private readonly idle = new Set<Socket>();
  /** The response each busy connection is writing. */
  private readonly busy = new Map<Socket, ServerResponse>();
  private draining = false;

  constructor(private readonly limits: ConnectionLimits) {}

  /** Watches `server`'s connections from now on. */
  attach(server: Server): this {
    server.on("connection", (socket: Socket) => { this.admit(socket); });
    server.on("request", (request: IncomingMessage, response: ServerResponse) => { this.started(request.socket, response); });
    return this;
  }

  /** Connections open now, for tests and diagnostics. */
  get size(): number {
    return this.open;
  }

  drain(): void {
    this.draining = true;
    for (const socket of this.idle) socket.destroy();
    for (const response of this.busy.values()) closeAfter(response);
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress ?? "unknown";
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (this.draining || fromAddress >= this.limits.maxPerAddress || (this.open >= this.limits.maxConnections && !this.reclaimIdle())) {
      socket.destroy();
      return;
    }
    this.open++;
    this.byAddress.set(address, fromAddress + 1);
    socket.once("close", () => {
      this.open--;
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left === 0) this.byAddress.delete(address);
      else this.byAddress.set(address, left);
      this.idle.delete(socket);
      this.busy.delete(socket);
    });
  }

  /** Closes the connection idle longest; false when every connection is busy or has not sent a request yet. */
  private reclaimIdle(): boolean {
    const [oldest] = this.idle;
    if (oldest === undefined) return false;
    this.idle.delete(oldest);
    oldest.destroy();
    return true;
  }

  private started(socket: Socket, response: ServerResponse): void {
    this.idle.delete(socket);
    this.busy.set(socket, response);
    if (this.draining) closeAfter(response);
    response.once("finish", () => {
      if (this.busy.get(socket) === response) this.busy.delete(socket);
      if (socket.destroyed || this.draining) return;
      this.idle.add(socket);
    });
  }
}

/**
 * Ends the connection once `response` is written: by the `Connection: close`
 * header while the head is unsent (Node then closes after the response),
 * else by half-closing once the body is out.
 */
function closeAfter(response: ServerResponse): void {
  if (!response.headersSent) {
    response.shouldKeepAlive = false;
    response.setHeader("Connection", "close");
    return;
  }
  response.once("finish", () => { response.socket?.destroySoon(); });
}
