import stripAnsi from "strip-ansi";

// C0 and C1 controls, DEL, the Unicode controls that reorder or hide text, and the
// line and paragraph separators some terminals and editors treat as newlines.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a server made safe for a terminal: escape sequences (colors,
 * OSC links, title changes, cursor moves) and control characters removed.
 * Newlines and tabs stay.
 */
export function sanitize(text: string): string {
  return stripAnsi(text).replace(CONTROLS, "");
}

/** As `sanitize`, on one line: a server must not draw lines of its own. */
export function sanitizeLine(text: string): string {
  return sanitize(text).replace(/[\r\n\t]+/g, " ");
}
