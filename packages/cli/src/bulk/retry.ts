import { setTimeout as sleep } from "node:timers/promises";
import type { Answer, Transport } from "../api-client.js";
import { ServerUnreachable } from "../errors.js";

export interface RetryPolicy {
  /** Tries per request, the first included. */
  attempts: number;
  baseMs: number;
  capMs: number;
  random: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 250, capMs: 8000, random: Math.random };

/** What a request came to after its retries. */
export type Sent =
  | { answer: Answer; ambiguous: boolean }
  /** Every try failed on the network (or timed out). */
  | { unreachable: ServerUnreachable; ambiguous: true };

/**
 * Shared by every worker: when the server says "wait" (429, or 503 with
 * Retry-After) nobody sends until then, since the limit is the server's,
 * not one row's. Aborting the signal (a second Ctrl-C) ends every wait.
 */
export class Pacer {
  private until = 0;

  constructor(
    readonly signal: AbortSignal,
    private readonly onPause: (seconds: number) => void = () => undefined,
  ) {}

  pauseFor(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.until) return;
    this.until = until;
    this.onPause(Math.ceil(ms / 1000));
  }

  async ready(): Promise<void> {
    for (let left = this.until - Date.now(); left > 0; left = this.until - Date.now())
      await sleep(left, undefined, { signal: this.signal });
  }

  delay(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.signal });
  }
}

/**
 * POSTs with capped exponential backoff and full jitter on 5xx and network
 * errors, honouring Retry-After on 429 and 503. `ambiguous` says an earlier
 * try may have been acted on although no answer, or a 5xx, came back.
 * Rejects with an AbortError when the pacer's signal is aborted.
 */
export async function sendWithRetries(
  transport: Transport,
  url: string,
  path: string,
  body: object,
  pacer: Pacer,
  policy: RetryPolicy,
): Promise<Sent> {
  let ambiguous = false;
  let last: Sent | undefined;
  for (let attempt = 0; attempt < policy.attempts; attempt++) {
    if (attempt > 0) await pacer.delay(backoff(attempt - 1, policy, last));
    await pacer.ready();
    try {
      const answer = await transport(url, path, "POST", body);
      last = { answer, ambiguous };
      if (answer.status !== 429 && answer.status < 500) return last;
      // A 5xx may come after the server acted: a gateway that gave up waiting, a crash after the commit.
      if (answer.status >= 500) ambiguous = true;
      const wait = retryAfterMs(answer);
      if (wait !== undefined && (answer.status === 429 || answer.status === 503)) pacer.pauseFor(wait);
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      ambiguous = true;
      last = { unreachable: error, ambiguous };
    }
  }
  if (!last) throw new Error("no attempt was made");
  return last;
}

function backoff(retry: number, policy: RetryPolicy, last: Sent | undefined): number {
  // The pacer already waits out a Retry-After; on top of it, only a little jitter.
  if (last && "answer" in last && [429, 503].includes(last.answer.status) && retryAfterMs(last.answer) !== undefined)
    return policy.random() * policy.baseMs;
  return policy.random() * Math.min(policy.capMs, policy.baseMs * 2 ** retry);
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
export function retryAfterMs(answer: Answer): number | undefined {
  const raw = answer.headers["retry-after"];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
