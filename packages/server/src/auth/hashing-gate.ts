import { ClientGone, ServiceUnavailable } from "../errors.js";

/** Who asks for hashing: the address turns are shared by, and whether they are still there. */
export interface HashingClient {
  clientAddress: string;
  /** Aborted once the client has gone (its connection closed before the answer). */
  gone(): AbortSignal;
}

export interface HashingGateOptions {
  /** Jobs run at once: the cores this process hashes on. */
  parallel: number;
  /** A request expected to wait longer than this for its turn is answered 503 at once. */
  maxWaitMs: number;
  /** The clock jobs are timed with; tests inject one. */
  now?: () => number;
}

/** Starts a waiting job. */
type Waiter = () => void;

/** Weight of the newest job in the moving average of job durations. */
const SMOOTHING = 0.2;

/**
 * Schedules password hashing (deliberately slow) fairly between client
 * addresses: at most `parallel` jobs run, and waiting jobs take turns round
 * robin by address, so one address alone gets the whole capacity (bulk
 * provisioning from one machine keeps its speed) while a flood from one
 * address delays another by about one job, not by the flood's length.
 *
 * The queue is bounded by expected wait, not by a count: a request whose turn
 * would come later than `maxWaitMs` at the measured job time (a moving
 * average) gets 503 + Retry-After at once, so a flood cannot grow memory or
 * latency without bound. Until a job has been timed nothing is refused. A job
 * whose client has gone is dropped before it is hashed.
 */
export class HashingGate {
  private running = 0;
  /** Waiting jobs by address; the Map's order is the round robin's. */
  private readonly queues = new Map<string, Waiter[]>();
  private averageMs: number | undefined;
  private readonly now: () => number;

  constructor(private readonly options: HashingGateOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  async run<T>(client: HashingClient, work: () => Promise<T>): Promise<T> {
    const gone = client.gone();
    if (gone.aborted) throw new ClientGone();
    if (this.running < this.options.parallel) this.running++;
    else await this.turn(client.clientAddress, gone);
    const started = this.now();
    try {
      return await work();
    } finally {
      const took = this.now() - started;
      this.averageMs = this.averageMs === undefined ? took : this.averageMs + SMOOTHING * (took - this.averageMs);
      this.handOver();
    }
  }

  /** Jobs waiting for their turn now. */
  get waiting(): number {
    let count = 0;
    for (const queue of this.queues.values()) count += queue.length;
    return count;
  }

  /** How long a job from `address` arriving now would wait for its turn, in ms. */
  expectedWaitMs(address: string): number {
    if (this.averageMs === undefined || this.running < this.options.parallel) return 0;
    const own = this.queues.get(address)?.length ?? 0;
    let ahead = own;
    // Round robin: another address goes at most once per turn of ours, ours included.
    for (const [other, queue] of this.queues) if (other !== address) ahead += Math.min(queue.length, own + 1);
    return Math.ceil((ahead + 1) / this.options.parallel) * this.averageMs;
  }

  /**
   * Throws the 503 a job from `address` would get now, before the request
   * spends anything else (a throttle's database write) on an answer that
   * will be a refusal anyway: a flood of refused logins stays cheap.
   */
  assertRoom(address: string): void {
    const refusal = this.refusal(address);
    if (refusal) throw refusal;
  }

  private refusal(address: string): ServiceUnavailable | undefined {
    const wait = this.expectedWaitMs(address);
    if (wait <= this.options.maxWaitMs) return undefined;
    return new ServiceUnavailable("The server is busy checking passwords. Try again shortly.", Math.max(1, Math.ceil(wait / 1000)));
  }

  /** Resolves when a slot is handed to this job; rejects when the wait would be too long or the client leaves. */
  private turn(address: string, gone: AbortSignal): Promise<void> {
    const refusal = this.refusal(address);
    if (refusal) return Promise.reject(refusal);
    return new Promise((resolve, reject) => {
      const leave = () => {
        this.remove(address, waiter);
        reject(new ClientGone());
      };
      const waiter: Waiter = () => {
        gone.removeEventListener("abort", leave);
        resolve();
      };
      gone.addEventListener("abort", leave, { once: true });
      const queue = this.queues.get(address);
      if (queue) queue.push(waiter);
      else this.queues.set(address, [waiter]);
    });
  }

  private remove(address: string, waiter: Waiter): void {
    const queue = this.queues.get(address);
    if (!queue) return;
    const at = queue.indexOf(waiter);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0) this.queues.delete(address);
  }

  /** Gives the finished job's slot to the next address in the round robin, or frees it. */
  private handOver(): void {
    for (const [address, queue] of this.queues) {
      const next = queue.shift();
      this.queues.delete(address);
      // To the back of the round robin, if it has more waiting.
      if (queue.length > 0) this.queues.set(address, queue);
      if (next) {
        next();
        return;
      }
    }
    this.running--;
  }
}
