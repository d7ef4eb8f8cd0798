/** One input row, numbered by the physical line it starts on (a CSV header is line 1). */
export interface Row {
  line: number;
  username?: string;
  email?: string;
  password?: string;
  /** Why the row cannot be sent (a local check); such a row is reported `failed`. */
  problem?: string;
}

export const FIELDS = ["username", "email", "password"] as const;
export type Field = (typeof FIELDS)[number];

/**
 * C0 and C1 controls and DEL. In a value they are a broken input, never what
 * was meant: a stray "\r" from a line ending, a tab, a NUL. A password holding
 * one would be stored as read but never typed again, so the row is refused.
 */
const CONTROL = /\p{Cc}/u;

/** Checks the values of one row; an empty or missing password means "generate one". */
export function checkRow(line: number, values: Partial<Record<Field, unknown>>): Row {
  const { username, email, password } = values;
  const known = typeof username === "string" && username !== "" ? { username } : {};
  for (const field of FIELDS) {
    const value = values[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string") return { line, ...known, problem: `${field} must be a string` };
    // The code point only, never the value: it may be a password.
    const control = CONTROL.exec(value)?.[0];
    if (control !== undefined) return { line, ...known, problem: `${field} contains a control character (${codePoint(control)})` };
  }
  if (known.username === undefined) return { line, problem: "username is missing" };
  if (typeof email !== "string" || email === "") return { line, ...known, problem: "email is missing" };
  return { line, username: known.username, email, ...(typeof password === "string" && password !== "" ? { password } : {}) };
}

function codePoint(character: string): string {
  return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Marks every later occurrence of a username in the same input as failed, whatever the server would say. */
export async function* withoutDuplicates(rows: AsyncIterable<Row>): AsyncGenerator<Row> {
  const firstLine = new Map<string, number>();
  for await (const row of rows) {
    if (row.username === undefined) {
      yield row;
      continue;
    }
    const seen = firstLine.get(row.username);
    if (seen === undefined) firstLine.set(row.username, row.line);
    yield seen === undefined || row.problem
      ? row
      : { line: row.line, username: row.username, problem: `duplicate username: already on line ${seen}` };
  }
}
