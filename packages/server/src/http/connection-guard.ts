import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface ConnectionLimits {
  /** Open connections this process keeps at most. */
  maxConnections: number;
  /** Open connections one peer address keeps at most. */
  maxPerAddress: number;
}

/**
 * During a shutdown, how long after its last answer a kept-alive connection
 * stays open for the request its client may already have sent (answered with
 * `Connection: close`; closing at once would reset it). Connections quiet for
 * longer are closed at once.
 */
const DRAIN_LINGER_MS = 1_000;

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
 * `drain()` is the graceful half of a shutdown: responses not yet begun and
 * every later request's say `Connection: close` (Node then closes the
 * connection after the answer), so each connection serves at most the request
 * its client had already sent; idle connections, and those that have not
 * sent a request yet, close at once, or after DRAIN_LINGER_MS when their last
 * answer was just sent (or they just connected).
 */
export class ConnectionGuard {
  private open = 0;
  private readonly byAddress = new Map<string, number>();
  /** Kept-alive connections between requests, with when they became idle, longest idle first (a Map keeps insertion order). */
  private readonly idle = new Map<Socket, number>();
  /**
   * Connections that have not sent a request yet, with when they connected.
   * Never reclaimed for a newcomer (their client may be about to send); the
   * headers timeout ends the silent ones.
   */
  private readonly fresh = new Map<Socket, number>();
  /** The response each busy connection is writing. */
  private readonly busy = new Map<Socket, ServerResponse>();
  private draining = false;

  constructor(private readonly limits: ConnectionLimits) {}

  /** Watches `server`'s connections from now on. */
  attach(server: Server): this {
    server.on("connection", (socket: Socket) => {
      this.admit(socket);
    });
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      this.started(request.socket, response);
    });
    return this;
  }

  /** Connections open now, for tests and diagnostics. */
  get size(): number {
    return this.open;
  }

  drain(): void {
    this.draining = true;
    const now = performance.now();
    for (const [socket, since] of [...this.idle, ...this.fresh]) this.closeWhenQuiet(socket, since + DRAIN_LINGER_MS - now);
    for (const response of this.busy.values()) if (!response.headersSent) sayClose(response);
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
    this.fresh.set(socket, performance.now());
    socket.once("close", () => {
      this.open--;
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left === 0) this.byAddress.delete(address);
      else this.byAddress.set(address, left);
      this.idle.delete(socket);
      this.fresh.delete(socket);
      this.busy.delete(socket);
    });
  }

  /** Closes the connection idle longest; false when every connection is busy or has not sent a request yet. */
  private reclaimIdle(): boolean {
    const [oldest] = this.idle.keys();
    if (oldest === undefined) return false;
    this.idle.delete(oldest);
    oldest.destroy();
    return true;
  }

  private started(socket: Socket, response: ServerResponse): void {
    this.idle.delete(socket);
    this.fresh.delete(socket);
    this.busy.set(socket, response);
    if (this.draining) sayClose(response);
    response.once("finish", () => {
      if (this.busy.get(socket) === response) this.busy.delete(socket);
      if (socket.destroyed) return;
      if (this.draining) this.closeWhenQuiet(socket, DRAIN_LINGER_MS);
      else this.idle.set(socket, performance.now());
    });
  }

  /** Closes `socket` after `delayMs` unless a request is being answered on it then (that answer closes it). */
  private closeWhenQuiet(socket: Socket, delayMs: number): void {
    if (delayMs <= 0) {
      socket.destroy();
      return;
    }
    setTimeout(() => {
      if (!this.busy.has(socket)) socket.destroy();
    }, delayMs).unref();
  }
}

/** Makes `response`, not yet begun, the connection's last: Node closes it once the answer is written. */
function sayClose(response: ServerResponse): void {
  response.shouldKeepAlive = false;
  response.setHeader("Connection", "close");
}
