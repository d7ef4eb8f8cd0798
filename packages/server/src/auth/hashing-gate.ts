import { ServiceUnavailable } from "../errors.js";

/**
 * Bounds how many requests may wait for password hashing at once. Hashing is
 * deliberately slow; past the bound a login flood gets 503 + Retry-After at
 * once instead of an ever longer queue that grows memory and latency.
 */
export class HashingGate {
  private inFlight = 0;

  constructor(readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.limit) {
      throw new ServiceUnavailable("The server is busy checking passwords. Try again shortly.", 1);
    }
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
    }
  }
}
