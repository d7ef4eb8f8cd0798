import { Chalk, type ChalkInstance } from "chalk";

export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Data goes to stdout (JSON with --json), everything said to a person —
 * progress, success, warnings — to stderr. Colors only on a terminal, never
 * with NO_COLOR or --no-color.
 */
export class Output {
  /** Colors for stdout; stderr gets its own, since either may be piped. */
  readonly color: ChalkInstance;
  private readonly errColor: ChalkInstance;

  constructor(
    private readonly streams: OutputStreams,
    readonly json: boolean,
    colorAllowed: boolean,
  ) {
    this.color = new Chalk({ level: colorAllowed && streams.stdout.isTTY ? 1 : 0 });
    this.errColor = new Chalk({ level: colorAllowed && streams.stderr.isTTY ? 1 : 0 });
  }

  /** The command's result: `value` as JSON with --json, else the human text (if any). */
  result(value: unknown, human?: string): void {
    if (this.json) this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else if (human !== undefined) this.streams.stdout.write(`${human}\n`);
  }

  /** Raw data on stdout (the body `authctl api` got); a final newline added at a terminal. */
  data(text: string): void {
    this.streams.stdout.write(this.stdoutIsTerminal && !text.endsWith("\n") ? `${text}\n` : text);
  }

  get stdoutIsTerminal(): boolean {
    return this.streams.stdout.isTTY === true;
  }

  success(message: string): void {
    if (!this.json) this.streams.stderr.write(`${this.errColor.green("✓")} ${message}\n`);
  }

  info(message: string): void {
    if (!this.json) this.streams.stderr.write(`${message}\n`);
  }

  /** Said even with --json (on stderr): something the person must know about where data came from. */
  notice(message: string): void {
    this.streams.stderr.write(`${this.errColor.cyan("notice:")} ${message}\n`);
  }

  warn(message: string): void {
    this.streams.stderr.write(`${this.errColor.yellow("warning:")} ${message}\n`);
  }

  error(message: string, hint?: string): void {
    this.streams.stderr.write(`${this.errColor.red("error:")} ${message}\n`);
    if (hint) this.streams.stderr.write(`${this.errColor.dim("hint:")} ${hint}\n`);
  }

  jsonError(code: string, message: string, details?: unknown): void {
    const error = details === undefined ? { code, message } : { code, message, details };
    this.streams.stdout.write(`${JSON.stringify({ error })}\n`);
  }
}
