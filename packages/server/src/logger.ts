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

/** How long a line may wait to be written with the ones after it. */
const LOG_BATCH_MS = 50;
/** Pending text beyond which it is written at once, whatever its age. */
const LOG_BATCH_BYTES = 64 * 1024;

/**
 * The server's logger: the same lines as `streamLogger`, written through
 * pino's asynchronous destination (sonic-boom) so a request never waits on a
 * write to a pipe or file. Lines are gathered for up to LOG_BATCH_MS and
 * written together: under load a write per request (or per turn of the event
 * loop) cost as much as the whole token check, each one a handoff to libuv's
 * thread pool on the same core. An error line goes out at once, after the
 * lines before it. `flush` drains everything; call it before exiting.
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
      if (err !== out) out.writeNow("");
      err.writeNow(`${stamp()} ERROR ${line}\n`);
    },
    flush: async () => {
      await Promise.all(err === out ? [out.flush()] : [out.flush(), err.flush()]);
    },
  };
}

type Destination = ReturnType<typeof pino.destination>;

/** Text for `destination`, gathered for up to LOG_BATCH_MS (or LOG_BATCH_BYTES) and written in one piece. */
function batched(destination: Destination): { write(text: string): void; writeNow(text: string): void; flush(): Promise<void> } {
  let pending = "";
  let timer: NodeJS.Timeout | undefined;
  const writePending = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending === "") return;
    destination.write(pending);
    pending = "";
  };
  return {
    write: (text) => {
      pending += text;
      if (pending.length >= LOG_BATCH_BYTES) writePending();
      // Kept alive for it (a process ending on its own still writes its last lines), 50 ms at most.
      else timer ??= setTimeout(writePending, LOG_BATCH_MS);
    },
    writeNow: (text) => {
      pending += text;
      writePending();
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
