import type { ServerResponse } from "node:http";

/**
 * A signal aborted once the client has gone before `response` was written:
 * its connection closed or reset. Work it waits for (password hashing) can
 * then be dropped. Made on demand, so a request that never waits for anything
 * costs nothing; made late, it is already aborted if the client has left.
 */
export function clientGone(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const check = () => {
    if (!response.writableFinished) controller.abort();
  };
  if (response.destroyed) check();
  else response.once("close", check);
  return controller.signal;
}
