export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The styles the CLI uses: chalk's when colors are on, plain text otherwise. */
export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const same = (text: string) => text;
const plain: Palette = { bold: same, dim: same, red: same, green: same, yellow: same, cyan: same };

/**
 * The output of one run. Colors only on a terminal, never with NO_COLOR or
 * --no-color; chalk is loaded only then, so piped runs start faster.
 */
export async function createOutput(streams: OutputStreams, json: boolean, colorAllowed: boolean): Promise<Output> {
  const colored = (stream: { isTTY?: boolean }) => colorAllowed && stream.isTTY === true;
  if (!colored(streams.stdout) && !colored(streams.stderr)) return new Output(streams, json);
  const { Chalk } = await import("chalk");
  const chalk = new Chalk({ level: 1 });
  return new Output(streams, json, { stdout: colored(streams.stdout) ? chalk : plain, stderr: colored(streams.stderr) ? chalk : plain });
}

/**
 * Data goes to stdout (JSON with --json), everything said to a person —
 * progress, success, warnings — to stderr.
 */
export class Output {
  /** Colors for stdout; stderr gets its own, since either may be piped. */
  readonly color: Palette;
  private readonly errColor: Palette;

  constructor(
    private readonly streams: OutputStreams,
    readonly json: boolean,
    palettes: { stdout: Palette; stderr: Palette } = { stdout: plain, stderr: plain },
  ) {
    this.color = palettes.stdout;
    this.errColor = palettes.stderr;
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
