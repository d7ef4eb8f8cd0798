import { ServerRefused } from "./errors.js";
import { sanitizeLine } from "./text.js";

/** DRF's words for the refusals the CLI knows by name. */
export const USERNAME_TAKEN = "A user with that username already exists.";
const BAD_CREDENTIALS = "Unable to log in with provided credentials.";
const INVALID_TOKEN = "Invalid token.";
const NO_CREDENTIALS = "Authentication credentials were not provided.";
const WRONG_OLD_PASSWORD = "Your old password was entered incorrectly. Please enter it again.";
/** dj-rest-auth's word for a reset link's uid or token that is wrong, spent or expired. */
const INVALID_LINK = "Invalid value";

/** DRF's terse words, said for a person; the exact words stay in `--json` details. */
const PLAIN: Record<string, string> = {
  [BAD_CREDENTIALS]: "wrong username or password",
  "P1 and P2 should be same!": "the two passwords differ",
  // Django's SetPasswordForm, with a typographic apostrophe since Django 3.0 and a plain one before.
  "The two password fields didn’t match.": "the two passwords differ",
  "The two password fields didn't match.": "the two passwords differ",
  [INVALID_TOKEN]: "the server no longer accepts this token",
  [WRONG_OLD_PASSWORD]: "is wrong",
  [INVALID_LINK]: "not valid (cut short, already used, or expired)",
  [USERNAME_TAKEN]: "that username is taken",
  "This field may not be blank.": "may not be blank",
  "This field is required.": "is missing",
};

/** DRF's field names, said for a person: what was typed or pasted, not what the API calls it. */
const FIELDS: Record<string, string> = {
  old_password: "current password",
  new_password1: "new password",
  new_password2: "new password",
  uid: "link",
  token: "link",
  first_name: "first name",
  last_name: "last name",
};

const plainly = (table: Record<string, string>, text: string) => (Object.hasOwn(table, text) ? table[text] : undefined) ?? text;

/** A DRF error body as lines, `field: message` (general errors without a field), each field and message put by `say`. */
function refusalLines(body: object, say: (text: string, table: Record<string, string>) => string): string {
  const lines: string[] = [];
  for (const [field, value] of Object.entries(body)) {
    const messages: unknown[] = Array.isArray(value) ? value : [value];
    const general = ["error", "non_field_errors", "detail"].includes(field);
    for (const message of messages) {
      const text = say(sanitizeLine(String(message)), PLAIN);
      lines.push(general ? text : `${say(sanitizeLine(field), FIELDS)}: ${text}`);
    }
  }
  // Said plainly, a bad uid and a bad token are the same line.
  return [...new Set(lines)].join("\n");
}

/** DRF error bodies as readable lines, in DRF's words: `username: A user with that username already exists.` */
export function describeRefusal(body: object): string {
  return refusalLines(body, (text) => text);
}

/** Whether the server refused because it does not (or no longer) accept the token sent. */
export function isTokenRejection(error: unknown): boolean {
  return error instanceof ServerRefused && JSON.stringify(error.details).includes(INVALID_TOKEN);
}

export function humanizeRefusal(body: object): string {
  return refusalLines(body, (text, table) => plainly(table, text));
}

/** What the CLI knows of the request a refusal answered, for its hint. */
export interface RefusalContext {
  username?: string;
  /** The base URL of the server that refused. */
  url?: string;
}

/** Hints for the refusals that have an obvious next step. */
function hintFor(body: object, { username, url }: RefusalContext): string | undefined {
  const text = JSON.stringify(body);
  const server = url === undefined ? "" : ` --url ${url}`;
  if (text.includes(USERNAME_TAKEN) && username !== undefined) {
    return `if the account is yours, log in instead: authctl login -u ${sanitizeLine(username)}`;
  }
  if (text.includes(BAD_CREDENTIALS)) return "check the username and password; a new account needs authctl register";
  if (text.includes(INVALID_TOKEN) || text.includes(NO_CREDENTIALS)) return `log in again: authctl login${server}`;
  if (text.includes(WRONG_OLD_PASSWORD)) return `forgot it? ask for a reset link: authctl password reset${server} --email ADDRESS`;
  if (text.includes(`"${INVALID_LINK}"`)) {
    return `a reset link works once, until the password changes, and expires (after 3 days by default); paste the whole link, or ask for a new one: authctl password reset${server} --email ADDRESS`;
  }
  return undefined;
}

export function refusal(body: object, context: RefusalContext = {}): ServerRefused {
  return new ServerRefused(describeRefusal(body), body, hintFor(body, context), humanizeRefusal(body));
}
