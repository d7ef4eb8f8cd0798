/**
 * At most `size` tasks at once; the rest wait in order. Password hashing uses
 * it to keep no more bcrypt threads busy than there are cores for this
 * process, so the event loop still gets CPU time to answer cheap requests
 * while logins saturate hashing (throughput is the same: the cores are busy
 * either way).
 */
export class Slots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.busy >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.busy++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.busy--;
    }
  }
}
