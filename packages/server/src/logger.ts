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
 * write to a pipe or file. The lines of one turn of the event loop go out in
 * one write, at the end of that turn: under load a write per request cost as
 * much as the rest of a token check. `flush` drains it; call it before exiting.
 */
export function fastLogger(outFd = 1, errFd = 2): Logger {
  const out = batched(pino.destination({ dest: outFd, sync: false }));
  const err = errFd === outFd ? out : batched(pino.destination({ dest: errFd, sync: false }));
  const stamp = stamper();
  return {
    info: (line) => {
      out.write(`${stamp()} ${line}\n`);
    },
    error: (line) => {
      err.write(`${stamp()} ERROR ${line}\n`);
    },
    flush: async () => {
      await Promise.all(err === out ? [out.flush()] : [out.flush(), err.flush()]);
    },
  };
}

type Destination = ReturnType<typeof pino.destination>;

/** Text for `destination`, gathered over the current turn of the event loop and written at its end. */
function batched(destination: Destination): { write(text: string): void; flush(): Promise<void> } {
  let pending = "";
  const writePending = () => {
    if (pending === "") return;
    destination.write(pending);
    pending = "";
  };
  return {
    write: (text) => {
      if (pending === "") setImmediate(writePending);
      pending += text;
    },
    flush: () => {
      writePending();
      return new Promise<void>((resolve) => {
        destination.flush(() => {
          resolve();
        });
      });
    },
  };
}
