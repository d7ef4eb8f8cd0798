import { UsageError } from "./errors.js";

/** Reads a secret piped on stdin (`--password-stdin`), without its final newline. */
export async function readSecretFromStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string> {
  if (stdin.isTTY) throw new UsageError("--password-stdin needs the password piped in", "echo \"$PASSWORD\" | authctl login --password-stdin ...");
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const secret = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  if (secret === "") throw new UsageError("--password-stdin was given but stdin was empty");
  return secret;
}
