import { UsageError } from "./errors.js";

/** All of stdin, as text. */
export async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}

export interface PipedSecret {
  /** The flag that asked for it. */
  flag?: string;
  /** What it is, for messages. */
  what?: string;
  /** The command to show in the hint. */
  command?: string;
}

/** Reads a secret piped on stdin (`--password-stdin`, `--with-token`, `--new-key-stdin`), without its final newline. */
export async function readSecretFromStdin(
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
  { flag = "--password-stdin", what = "password", command = "authctl login" }: PipedSecret = {},
): Promise<string> {
  if (stdin.isTTY) throw new UsageError(`${flag} needs the ${what} piped in`, `printf %s "$SECRET" | ${command} ${flag} ...`);
  const secret = (await readStdin(stdin)).replace(/\r?\n$/, "");
  if (secret === "") throw new UsageError(`${flag} was given but stdin was empty`);
  return secret;
}
