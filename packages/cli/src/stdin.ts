import { UsageError } from "./errors.js";

/** Reads a secret piped on stdin (`--password-stdin`, `--with-token`), without its final newline. */
export async function readSecretFromStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }, flag = "--password-stdin"): Promise<string> {
  const what = flag === "--with-token" ? "token" : "password";
  if (stdin.isTTY) throw new UsageError(`${flag} needs the ${what} piped in`, `printf %s "$SECRET" | authctl login ${flag} ...`);
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const secret = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  if (secret === "") throw new UsageError(`${flag} was given but stdin was empty`);
  return secret;
}
