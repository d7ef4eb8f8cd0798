import pino from "pino";

/** Where the server writes its log lines; never given bodies, passwords or tokens. */
export interface Logger {
  info(line: string): void;
  error(line: string): void;
  /** Writes out whatever is still buffered; called on shutdown. */
  flush?(): Promise<void>;
}

export const silentLogger: Logger = { info: () => {}, error: () => {} };

/** An ISO timestamp, formatted once per millisecond however many lines share it. */
function stamper(): () => string {
  let lastMs = 0;
  let last = "";
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      last = new Date(now).toISOString();
    }
    return last;
  };
}

export function streamLogger(out: NodeJS.WritableStream, err: NodeJS.WritableStream = out): Logger {
  const stamp = stamper();
  return {
    info: (line) => out.write(`${stamp()} ${line}\n`),
    error: (line) => err.write(`${stamp()} ERROR ${line}\n`),
  };
}

/**
 * The server's logger: the same lines as `streamLogger`, written through
 * pino's asynchronous destination (sonic-boom) so a request never waits on a
 * write to a pipe or file. `flush` drains it; call it before exiting.
 */
export function fastLogger(outFd = 1, errFd = 2): Logger {
  const out = pino.destination({ dest: outFd, sync: false });
  const err = errFd === outFd ? out : pino.destination({ dest: errFd, sync: false });
  const stamp = stamper();
  const drain = (stream: typeof out) => new Promise<void>((resolve) => {
    stream.flush(() => { resolve(); });
  });
  return {
    info: (line) => { out.write(`${stamp()} ${line}\n`); },
    error: (line) => { err.write(`${stamp()} ERROR ${line}\n`); },
    flush: async () => {
      await Promise.all(err === out ? [drain(out)] : [drain(out), drain(err)]);
    },
  };
}
