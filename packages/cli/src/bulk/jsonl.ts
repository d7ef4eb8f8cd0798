import { StringDecoder } from "node:string_decoder";
import { checkRow, FIELDS, type Row } from "./rows.js";

/** A longer line is not an account: it is reported and skipped without being held in memory. */
const MAX_LINE_CHARS = 1 << 20;

/** Streams rows from JSON Lines, one `{"username","email","password"}` object per line; blank lines are skipped. */
export async function* jsonlRows(input: AsyncIterable<Buffer | string>): AsyncGenerator<Row> {
  const decoder = new StringDecoder("utf8");
  let carry = "";
  let overlong = false;
  let line = 0;
  const finish = function* (text: string): Generator<Row> {
    line++;
    if (overlong) yield { line, problem: `malformed line: longer than ${MAX_LINE_CHARS} characters` };
    else {
      const row = parseLine(line, line === 1 ? text.replace(/^\uFEFF/, "") : text);
      if (row) yield row;
    }
    overlong = false;
  };
  for await (const chunk of input) {
    const text = carry + (typeof chunk === "string" ? chunk : decoder.write(chunk));
    let start = 0;
    for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
      yield* finish(text.slice(start, end));
      start = end + 1;
    }
    carry = text.slice(start);
    if (carry.length > MAX_LINE_CHARS) {
      overlong = true;
      carry = "";
    }
  }
  carry += decoder.end();
  if (carry !== "" || overlong) yield* finish(carry);
}

function parseLine(line: number, text: string): Row | undefined {
  if (text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the line, which may hold a password.
    return { line, problem: "malformed line: not valid JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { line, problem: "malformed line: not a JSON object" };
  const values = value as Record<string, unknown>;
  const unknown = Object.keys(values).find((key) => !(FIELDS as readonly string[]).includes(key));
  const row = checkRow(line, values);
  if (unknown !== undefined && !row.problem)
    return { line, username: row.username, problem: `unknown field "${unknown}" (expected username, email, password)` };
  return row;
}
