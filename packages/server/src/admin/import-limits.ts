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

/** Splits Django's rows into those within `limits` and those skipped, each with why. */
export function screenDjangoUsers<Row extends DjangoRow>(rows: Row[], limits: ImportLimits = IMPORT_LIMITS): { users: Row[]; refused: { username: string; reason: string }[] } {
  const users: Row[] = [];
  const refused: { username: string; reason: string }[] = [];
  for (const row of rows) {
    const reason = problemOf(row, limits);
    if (reason === undefined) users.push(row);
    else refused.push({ username: shown(row.username, limits.usernameChars), reason });
  }
  return { users, refused };
}

function problemOf({ username, email, passwordHash }: DjangoRow, limits: ImportLimits): string | undefined {
  if (username === "") return "its username is empty";
  const usernameChars = pyLen(username);
  if (usernameChars > limits.usernameChars) return `its username is ${usernameChars} characters, more than Django's ${limits.usernameChars}`;
  const inUsername = username.match(CONTROLS)?.[0];
  if (inUsername !== undefined) return `its username contains a control character (${codePoint(inUsername)})`;
  const emailChars = pyLen(email);
  if (emailChars > limits.emailChars) return `its email is ${emailChars} characters, more than Django's ${limits.emailChars}`;
  const inEmail = email.match(CONTROLS)?.[0];
  if (inEmail !== undefined) return `its email contains a control character (${codePoint(inEmail)})`;
  return djangoHashProblem(passwordHash, limits.hash);
}

/**
 * A skipped username as it can be listed: cut to the longest a username may be
 * (a 10 MB one would flood the output), and its control characters written as
 * \uXXXX, so "ad\u0000min" is not shown as "admin".
 */
function shown(username: string, chars: number): string {
  let cut = username;
  if (username.length > chars) {
    // Not between the halves of a surrogate pair.
    const end = /[\uD800-\uDBFF]/.test(username.charAt(chars - 1)) ? chars - 1 : chars;
    cut = `${username.slice(0, end)}…`;
  }
  return cut.replace(CONTROLS, (control) => `\\u${control.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function codePoint(character: string): string {
  return `U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}
