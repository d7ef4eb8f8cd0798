import cluster, { type Worker } from "node:cluster";
import { describeStore, type ServerConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { prepareData, startServer } from "./server.js";
import { shutdownSignal } from "./shutdown-signal.js";

/** What workers tell the primary. */
type WorkerMessage = { type: "failed"; message: string; code?: string | undefined };

/** After a graceful shutdown request, a worker still alive this long later is killed. */
const WORKER_GRACE_MS = 15_000;
/** Crashes within this window count towards the restart back-off. */
const CRASH_WINDOW_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;
/**
 * Replacement workers in a row that exit before listening (a data directory
 * turned read-only, a key gone): past this the primary gives up and exits 1,
 * so a supervisor sees the failure instead of a primary holding a dead port.
 */
const MAX_START_FAILURES = 5;

/**
 * A cluster's primary: checks the data directory once (schema, key, token
 * revocation), starts `config.workers` servers on the one port, restarts a
 * worker that dies (at once the first time, then with doubling delays while
 * crashes keep coming, so a crash loop is no restart storm), and on SIGTERM
 * or SIGINT asks every worker to finish its in-flight requests and waits.
 * A replacement's start-up error is logged; when replacements keep failing
 * to start, it stops the rest and rejects (main exits 1).
 */
export async function serveAsPrimary(config: ServerConfig, log: Logger): Promise<void> {
  await prepareData(config, log);
  const crashes: number[] = [];
  const pending = new Set<NodeJS.Timeout>();
  let stopping = false;
  let url = "";
  let startFailures = 0;
  let giveUp: (error: Error) => void = () => {};
  const gaveUp = new Promise<never>((_, reject) => {
    giveUp = reject;
  });
  const fork = () => {
    const started = cluster.fork();
    let listening = false;
    started.once("listening", () => {
      listening = true;
      startFailures = 0;
    });
    started.on("message", (message: Partial<WorkerMessage> | null) => {
      // Before "listening on", allListening reports it and main prints it.
      if (message?.type === "failed" && url !== "") log.error(`worker ${started.process.pid} could not start: ${describeFailure(message)}`);
    });
    return started.on("exit", (code: number | null, signal: string | null) => {
      onExit(started.process.pid, code, signal, listening);
    });
  };
  const onExit = (pid: number | undefined, code: number | null, signal: string | null, listened: boolean) => {
    if (stopping || url === "") return;
    if (!listened && ++startFailures >= MAX_START_FAILURES) {
      giveUp(new Error(`${startFailures} workers in a row failed to start (see above); stopping so the supervisor can see it`));
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while ((crashes[0] ?? now) < now - CRASH_WINDOW_MS) crashes.shift();
    const delay = crashes.length <= 1 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** (crashes.length - 2));
    const how = signal ? `signal ${signal}` : `code ${code ?? "?"}`;
    log.error(
      `worker ${pid} exited (${how}); starting a new one${delay > 0 ? ` in ${delay / 1000}s (${crashes.length} exits in the last minute)` : ""}`,
    );
    const timer = setTimeout(() => {
      pending.delete(timer);
      fork();
    }, delay);
    pending.add(timer);
  };
  const workers = Array.from({ length: config.workers }, fork);
  url = await allListening(workers, config.host);
  const stop = shutdownSignal();
  log.info(`listening on ${url} (${describeStore(config)}, ${config.workers} workers)`);
  const halt = () => {
    stopping = true;
    for (const timer of pending) clearTimeout(timer);
    return stopWorkers();
  };
  let signal: NodeJS.Signals;
  try {
    signal = await Promise.race([stop, gaveUp]);
  } catch (error) {
    await halt();
    await log.flush?.();
    throw error;
  }
  log.info(`${signal} received: finishing in-flight requests`);
  await halt();
  log.info("stopped");
  await log.flush?.();
}

/** A worker's start-up error as the log shows it: its message and code (never a password: messages name files and variables). */
function describeFailure({ message, code }: Partial<WorkerMessage>): string {
  return `${message ?? "unknown error"}${code ? ` (${code})` : ""}`;
}

/** Resolves with the URL once every worker listens; rejects with the first worker's failure. */
function allListening(workers: Worker[], host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let listening = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      for (const worker of workers) worker.kill();
      reject(error);
    };
    for (const worker of workers) {
      worker.on("message", (message: Partial<WorkerMessage> | null) => {
        if (message?.type === "failed")
          fail(Object.assign(new Error(message.message ?? "a worker failed to start"), { code: message.code }));
      });
      worker.once("exit", (code) => {
        fail(new Error(`a worker exited while starting (code ${code})`));
      });
      worker.once("listening", ({ port }) => {
        if (++listening < workers.length || settled) return;
        settled = true;
        const shown = host.includes(":") ? `[${host}]` : host;
        resolve(`http://${shown}:${port}`);
      });
    }
  });
}

function stopWorkers(): Promise<void> {
  const alive = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && !worker.isDead());
  return Promise.all(
    alive.map(
      (worker) =>
        new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            worker.process.kill("SIGKILL");
          }, WORKER_GRACE_MS);
          worker.once("exit", () => {
            clearTimeout(force);
            resolve();
          });
          // A signal, not a message: a worker still loading its modules would miss a message, and
          // before it installs its handler SIGTERM just ends it, with nothing yet in flight.
          worker.process.kill("SIGTERM");
        }),
    ),
  ).then(() => undefined);
}

/**
 * One server of a cluster: serves until SIGTERM (from the primary) or SIGINT
 * (Ctrl-C at a terminal reaches every process of the group), finishes its
 * in-flight requests, flushes its log and leaves. It never revokes tokens:
 * the primary has settled the key before starting it.
 */
export async function serveAsWorker(config: ServerConfig, log: Logger): Promise<void> {
  let server;
  try {
    server = await startServer({ ...config, revokeTokens: false }, log);
  } catch (error) {
    const { message, code } = error as NodeJS.ErrnoException;
    process.send?.({ type: "failed", message, code } satisfies WorkerMessage);
    process.exitCode = 1;
    cluster.worker?.disconnect();
    return;
  }
  await shutdownSignal({ ignoreRepeats: true });
  await server.close();
  await log.flush?.();
  cluster.worker?.disconnect();
}
