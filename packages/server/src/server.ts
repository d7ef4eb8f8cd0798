import cluster from "node:cluster";
import { createServer, type Server } from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";
import { availableParallelism } from "node:os";
import { createApp } from "./app.js";
import { serveAsPrimary, serveAsWorker } from "./cluster.js";
import { ConnectionGuard } from "./http/connection-guard.js";
import { pooledJsonParser } from "./http/json-body-parser.js";
import { BcryptSha256Hasher } from "./auth/hasher.js";
import { HashingGate } from "./auth/hashing-gate.js";
import { keySource, openServerKey } from "./auth/secret-key.js";
import { TokenVault } from "./auth/tokens.js";
import { ResetTokens } from "./auth/reset-tokens.js";
import { redactSmtpUrl, smtpMailer } from "./mail/mailer.js";
import { describeStore, type ServerConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { HANGUP_IGNORED, shutdownSignal, survivesHangup } from "./shutdown-signal.js";
import { openStore, type OpenedStore } from "./store/open-store.js";

/** How long in-flight requests get to finish after a shutdown signal. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Sized against slow clients (slowloris): request headers must arrive within
 * 10 s and a whole request (at most the body limit) within 30 s; idle
 * keep-alive connections close after 5 s. Node checks every second.
 */
export const HTTP_TIMEOUTS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
} as const;

/**
 * A connection's last request: its answer says `Connection: close`, so one
 * client cannot hold a connection (and its worker) for ever. (A property of
 * the server: Node 20's createServer does not read it from the options.)
 */
export const MAX_REQUESTS_PER_SOCKET = 1_000;

export interface RunningServer {
  url: string;
  port: number;
  /** Where the data is, without any password. */
  database: string;
  /** Stops accepting connections, lets in-flight requests finish, closes the database. */
  close(): Promise<void>;
}

function serverKey(config: ServerConfig, { store, name }: OpenedStore, log: Logger): Promise<Buffer> {
  return openServerKey({
    store,
    source: keySource(config.dataDir, config.secretKey),
    database: name,
    revokeTokens: config.revokeTokens,
    log: (line) => {
      log.info(line);
    },
  });
}

/**
 * What a cluster's primary checks once before starting workers: the data
 * directory, the schema (migrations) and the key (created, checked against
 * the stored tokens, or their revocation with --revoke-all-tokens).
 */
export async function prepareData(config: ServerConfig, log: Logger): Promise<void> {
  logMailSetting(config, log);
  const opened = await openStore(config);
  try {
    await serverKey(config, opened, log);
  } finally {
    await opened.close();
  }
}

/** Said once per server (by a cluster's primary, not by each worker). */
function logMailSetting(config: ServerConfig, log: Logger): void {
  if (config.smtpUrl === undefined)
    log.info("password reset mail is disabled (set AUTHCTL_SMTP_URL to send it): password/reset/ answers as usual and sends nothing");
  else log.info(`password reset mail goes through ${redactSmtpUrl(config.smtpUrl)}`);
}

/** Opens the data directory and database, then listens; the one place that wires real parts together. */
export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  if (!cluster.isWorker) logMailSetting(config, log);
  const opened = await openStore(config, { heartbeat: true });
  const { store, throttleState } = opened;
  const jsonParser = pooledJsonParser(config.workers);
  const mailer = config.smtpUrl === undefined ? undefined : smtpMailer(config.smtpUrl, config.mailFrom);
  const closeAll = async () => {
    mailer?.close();
    await jsonParser.close();
    await opened.close();
  };
  try {
    const key = await serverKey(config, opened, log);
    if (config.databaseUrl !== undefined && config.secretKey === undefined) {
      log.info(
        `the token key is ${config.dataDir}/secret.key: every instance on this database needs the same key (set AUTHCTL_SECRET_KEY on all)`,
      );
    }
    const tokens = new TokenVault(key);
    // The gate decides whose turn it is; the hasher's own bound keeps any other caller to the same cores.
    const threads = hashingThreads(config.workers);
    const hasher = new BcryptSha256Hasher(config.bcryptCost, threads);
    const hashing = new HashingGate({ parallel: threads, maxWaitMs: config.hashingMaxWaitMs });
    const resetSecret = ResetTokens.secretFor(key);
    const app = createApp({
      store,
      hasher,
      tokens,
      config,
      jsonParser,
      log,
      hashing,
      throttleState,
      resetSecret,
      ...(mailer ? { mailer } : {}),
    });
    const handle = app.callback();
    const server = createServer(HTTP_TIMEOUTS, (request, response) => void handle(request, response));
    // Beyond the caps new connections are closed on arrival, before any file descriptor runs short.
    const connections = new ConnectionGuard({
      maxConnections: config.maxConnections,
      maxPerAddress: config.maxConnectionsPerAddress,
    }).attach(server);
    server.maxRequestsPerSocket = MAX_REQUESTS_PER_SOCKET;
    // Node's headers timeout starts at a request's first byte, so a client that connects and
    // sends nothing would hold a slot for ever: give it the same time to start, then drop it.
    server.on("connection", (socket: Socket) => socket.setTimeout(HTTP_TIMEOUTS.headersTimeout));
    server.prependListener("request", (request) => {
      // Once per connection: clearing a timeout already cleared would cost every kept-alive request a timer call.
      if (request.socket.timeout !== 0) request.socket.setTimeout(0);
    });
    const port = await listen(server, config.port, config.host);
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    return { url: `http://${host}:${port}`, port, database: describeStore(config), close: () => shutdown(server, connections, closeAll) };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * Bcrypt computations one process runs at once: its share of the cores. More
 * would not hash faster, only starve the event loops of every worker.
 */
function hashingThreads(workers: number): number {
  return Math.max(1, Math.ceil(availableParallelism() / workers));
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops listening and drains (ConnectionGuard.drain): in-flight requests
 * finish, each kept-alive connection serves at most the request its client
 * had already sent, answered with `Connection: close`, idle ones close; then
 * the store closes. Whatever is still open after the grace period is cut.
 */
function shutdown(server: Server, connections: ConnectionGuard, closeStore: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS).unref();
    // net's close, not http's: since Node 19 http.Server#close also destroys every connection
    // between two requests, resetting the request a busy keep-alive client has just sent.
    // The guard closes idle connections itself, giving the just-answered ones a moment.
    net.Server.prototype.close.call(server, () => {
      clearTimeout(force);
      void closeStore().then(resolve, resolve);
    });
    connections.drain();
  });
}

/**
 * Serves until SIGTERM or SIGINT, then shuts down gracefully. Used by
 * `npm start` and by `authctl serve`; resolves once everything is closed.
 * With `workers` > 1 this process becomes a cluster's primary and runs that
 * many servers on the port (src/cluster.ts); in a worker it serves one of them.
 */
export async function serveUntilSignal(config: ServerConfig, log: Logger): Promise<void> {
  // A worker stays quiet: the primary logs the hangup the whole group receives.
  survivesHangup(
    cluster.isWorker
      ? () => {}
      : () => {
          log.info(HANGUP_IGNORED);
        },
  );
  if (cluster.isWorker) return serveAsWorker(config, log);
  if (config.workers > 1) return serveAsPrimary(config, log);
  const server = await startServer(config, log);
  const stop = shutdownSignal();
  log.info(`listening on ${server.url} (${server.database})`);
  const signal = await stop;
  log.info(`${signal} received: finishing in-flight requests`);
  await server.close();
  log.info("stopped");
  await log.flush?.();
}
