/** Where the server writes its log lines; never given bodies, passwords or tokens. */
export interface Logger {
  info(line: string): void;
  error(line: string): void;
}

export const silentLogger: Logger = { info: () => {}, error: () => {} };

export function streamLogger(out: NodeJS.WritableStream, err: NodeJS.WritableStream = out): Logger {
  const stamp = () => new Date().toISOString();
  return {
    info: (line) => out.write(`${stamp()} ${line}\n`),
    error: (line) => err.write(`${stamp()} ERROR ${line}\n`),
  };
}
