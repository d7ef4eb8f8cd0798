/**
 * Runs one OS keychain call for `OsKeychain` in a process of its own, so a
 * Secret Service that never answers can be killed instead of freezing the
 * CLI. Reads `{ op, service, account, secret? }` as JSON on stdin (secrets
 * never go in arguments) and writes `{ ok, value? , message? }` on stdout.
 */
import { Entry } from "@napi-rs/keyring";
import { z } from "zod";

const requestSchema = z.object({
  op: z.enum(["get", "set", "delete"]),
  service: z.string(),
  account: z.string(),
  secret: z.string().optional(),
});

function perform(request: z.infer<typeof requestSchema>): string | boolean | null {
  const entry = new Entry(request.service, request.account);
  if (request.op === "get") return entry.getPassword();
  if (request.op === "delete") return entry.deleteCredential();
  entry.setPassword(request.secret ?? "");
  return true;
}

/** The request on stdin, the answer on stdout; not top-level await, so that the bundle can be CommonJS, which Node 20 starts faster. */
async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  let answer: object;
  try {
    answer = { ok: true, value: perform(requestSchema.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")))) };
  } catch (error) {
    answer = { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  process.stdout.write(JSON.stringify(answer));
}

void main();
