/**
 * Resolves with the first SIGTERM or SIGINT. Call it before start-up logs
 * anything: the logger writes from another thread, so a supervisor may read
 * "listening on" and signal before the next statement runs, and a signal
 * with no handler yet would end the process by the default action.
 */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
}
