import { ServerRefused } from "./errors.js";
import { sanitizeLine } from "./text.js";

/** DRF's words for the refusals the CLI knows by name. */
export const USERNAME_TAKEN = "A user with that username already exists.";
const BAD_CREDENTIALS = "Unable to log in with provided credentials.";

/** DRF's terse words, said for a person; the exact words stay in `--json` details. */
const PLAIN: Record<string, string> = {
  [BAD_CREDENTIALS]: "wrong username or password",
  "P1 and P2 should be same!": "the two passwords differ",
  "Invalid token.": "the server no longer accepts this token",
  [USERNAME_TAKEN]: "that username is taken",
  "This field may not be blank.": "may not be blank",
  "This field is required.": "is missing",
};

/** A DRF error body as lines, `field: message` (general errors without a field), each message put by `say`. */
function refusalLines(body: object, say: (message: string) => string): string {
  const lines: string[] = [];
  for (const [field, value] of Object.entries(body)) {
    const messages: unknown[] = Array.isArray(value) ? value : [value];
    const general = ["error", "non_field_errors", "detail"].includes(field);
    for (const message of messages) {
      const text = say(sanitizeLine(String(message)));
      lines.push(general ? text : `${sanitizeLine(field)}: ${text}`);
    }
  }
  return lines.join("\n");
}

/** DRF error bodies as readable lines, in DRF's words: `username: A user with that username already exists.` */
export function describeRefusal(body: object): string {
  return refusalLines(body, (text) => text);
}

export function humanizeRefusal(body: object): string {
  return refusalLines(body, (text) => (Object.hasOwn(PLAIN, text) ? PLAIN[text] : undefined) ?? text);
}

/** Hints for the refusals that have an obvious next step. */
function hintFor(body: object, username: string | undefined): string | undefined {
  const text = JSON.stringify(body);
  if (text.includes(USERNAME_TAKEN) && username !== undefined) {
    return `if the account is yours, log in instead: authctl login -u ${sanitizeLine(username)}`;
  }
  if (text.includes(BAD_CREDENTIALS)) return "check the username and password; a new account needs authctl register";
  return undefined;
}

export function refusal(body: object, username?: string): ServerRefused {
  return new ServerRefused(describeRefusal(body), body, hintFor(body, username), humanizeRefusal(body));
}
