import { ServerRefused } from "./errors.js";
import { sanitizeLine } from "./text.js";

/** DRF error bodies as readable lines: `username: A user with that username already exists.` */
export function describeRefusal(body: object): string {
  const lines: string[] = [];
  for (const [field, value] of Object.entries(body)) {
    const messages: unknown[] = Array.isArray(value) ? value : [value];
    const label = ["error", "non_field_errors", "detail"].includes(field) ? "" : `${sanitizeLine(field)}: `;
    for (const message of messages) lines.push(`${label}${sanitizeLine(String(message))}`);
  }
  return lines.join("\n");
}

/** DRF's terse words, said for a person; the exact words stay in `--json` details. */
const PLAIN: Record<string, string> = {
  "Unable to log in with provided credentials.": "wrong username or password",
  "P1 and P2 should be same!": "the two passwords differ",
  "Invalid token.": "the server no longer accepts this token",
  "A user with that username already exists.": "that username is taken",
  "This field may not be blank.": "may not be blank",
  "This field is required.": "is missing",
};

export function humanizeRefusal(body: object): string {
  const lines: string[] = [];
  for (const [field, value] of Object.entries(body)) {
    const messages: unknown[] = Array.isArray(value) ? value : [value];
    const general = ["error", "non_field_errors", "detail"].includes(field);
    for (const message of messages) {
      const text = sanitizeLine(String(message));
      const plain = Object.hasOwn(PLAIN, text) ? PLAIN[text] : undefined;
      lines.push(general ? (plain ?? text) : `${sanitizeLine(field)}: ${plain ?? text}`);
    }
  }
  return lines.join("\n");
}

/** Hints for the refusals that have an obvious next step. */
function hintFor(body: object, username: string | undefined): string | undefined {
  const text = JSON.stringify(body);
  if (text.includes("A user with that username already exists.") && username !== undefined) {
    return `if the account is yours, log in instead: authctl login -u ${sanitizeLine(username)}`;
  }
  if (text.includes("Unable to log in with provided credentials.")) return "check the username and password; a new account needs authctl register";
  return undefined;
}

export function refusal(body: object, username?: string): ServerRefused {
  return new ServerRefused(describeRefusal(body), body, hintFor(body, username), humanizeRefusal(body));
}
