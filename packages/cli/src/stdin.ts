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

/**
 * Several secrets piped on stdin, one a line (`password change --password-stdin`:
 * the current password, then the new one). A final newline is optional, CRLF
 * is fine, and an empty line is refused; no value is ever quoted back.
 */
export async function readSecretLines<const What extends readonly string[]>(
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
  what: What,
  flag: string,
  /** How a script pipes them, for the hint. */
  example: string,
): Promise<{ [K in keyof What]: string }> {
  const expected = `${what.length} lines on stdin: ${what.join(", then ")}`;
  if (stdin.isTTY) throw new UsageError(`${flag} needs ${expected}`, example);
  const lines = (await readStdin(stdin)).replace(/\r?\n$/, "").split(/\r?\n/);
  if (lines.length !== what.length || lines.includes("")) {
    const got =
      lines.length === 1 && lines[0] === ""
        ? "stdin was empty"
        : `got ${lines.length} line${lines.length === 1 ? "" : "s"}${lines.includes("") ? ", one of them empty" : ""}`;
    throw new UsageError(`${flag} takes ${expected}; ${got}`);
  }
  return lines as { [K in keyof What]: string };
}
