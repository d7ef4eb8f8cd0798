/**
 * Resolves with the first SIGTERM or SIGINT. Call it once start-up is done
 * and before "listening on" is logged: the logger writes from another thread,
 * so a supervisor may read that line and signal before the next statement
 * runs. Until then a signal keeps its default action and ends a start-up that
 * has nothing in flight at once, even one blocked on a locked database.
 *
 * With `ignoreRepeats`, later signals are swallowed: a cluster worker gets
 * SIGTERM from its primary and, when the whole process group is signalled
 * (systemd's default), once more; its graceful stop must survive the second.
 * The primary's SIGKILL after the grace period is the backstop.
 */
export function shutdownSignal({ ignoreRepeats = false } = {}): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", first);
      process.off("SIGINT", first);
      if (ignoreRepeats) {
        process.on("SIGTERM", ignore);
        process.on("SIGINT", ignore);
      }
      resolve(signal);
    };
    process.on("SIGTERM", first);
    process.on("SIGINT", first);
  });
}

function ignore(): void {}

/**
 * SIGHUP does not stop the server: its default action would drop every
 * connection at once, whether a terminal hung up or someone meant "reload".
 * Settings are read only at start, so there is nothing to reload; `onHangup`
 * says so in the log. Installed before start-up, so a hangup never kills it.
 */
export function survivesHangup(onHangup: () => void): void {
  process.on("SIGHUP", onHangup);
}

export const HANGUP_IGNORED = "SIGHUP received: ignored (settings are read at start; restart the server to apply new ones)";
