import { djangoHashProblem, HASH_LIMITS, type HashLimits } from "../auth/django-hashers.js";
import { pyLen } from "../validation/python.js";

/**
 * What `import-django` takes from a Django row. Django's model enforces its
 * field sizes only in forms, and SQLite not at all, so an auth_user row can
 * hold anything: a 10 MB username, an empty one, a NUL (which PostgreSQL
 * cannot store, failing the whole import), or a hash asking for gigabytes per
 * login attempt. Such a row is skipped with its reason; the others import.
 */
export interface ImportLimits {
  /** Django's `AbstractUser.username` max_length, in characters (code points, as Python counts). */
  usernameChars: number;
  /** Django's `EmailField` max_length (RFC 5321's longest path). */
  emailChars: number;
  hash: HashLimits;
}

export const IMPORT_LIMITS: ImportLimits = { usernameChars: 150, emailChars: 254, hash: HASH_LIMITS };

/** C0 and C1 controls and DEL: never part of a name or an address, and NUL cannot be stored in PostgreSQL. */
const CONTROLS = /\p{Cc}/gu;

interface DjangoRow {
  username: string;
  email: string;
  passwordHash: string;
}

/** A row that is not imported, and why; the username as `shown`. */
export interface Refusal {
  username: string;
  reason: string;
}

/** Splits Django's rows into those within `limits` and those skipped, each with why. */
export function screenDjangoUsers<Row extends DjangoRow>(
  rows: Row[],
  limits: ImportLimits = IMPORT_LIMITS,
): { users: Row[]; refused: Refusal[] } {
  const users: Row[] = [];
  const refused: Refusal[] = [];
  for (const row of rows) {
    const reason = problemOf(row, limits);
    if (reason === undefined) users.push(row);
    else refused.push({ username: shown(row.username, limits.usernameChars), reason });
  }
  return { users, refused };
}

function problemOf({ username, email, passwordHash }: DjangoRow, limits: ImportLimits): string | undefined {
  if (username === "") return "its username is empty";
  return (
    fieldProblem("username", username, limits.usernameChars) ??
    fieldProblem("email", email, limits.emailChars) ??
    djangoHashProblem(passwordHash, limits.hash)
  );
}

function fieldProblem(field: "username" | "email", value: string, maxChars: number): string | undefined {
  const chars = pyLen(value);
  if (chars > maxChars) return `its ${field} is ${chars} characters, more than Django's ${maxChars}`;
  const control = value.match(CONTROLS)?.[0];
  return control === undefined ? undefined : `its ${field} contains a control character (U+${hex(control)})`;
}

/**
 * A skipped username as it can be listed: cut to the longest a username may be
 * (a 10 MB one would flood the output), and its control characters written as
 * \uXXXX, so "ad\u0000min" is not shown as "admin".
 */
function shown(username: string, chars: number): string {
  let cut = "";
  let count = 0;
  for (const character of username) {
    if (count++ === chars) {
      cut += "…";
      break;
    }
    cut += character;
  }
  return cut.replace(CONTROLS, (control) => `\\u${hex(control).toLowerCase()}`);
}

/** A control character's code (all are in the BMP) as four hex digits. */
function hex(control: string): string {
  return control.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
}
