import { ParseError } from "../errors.js";
import { PY_INT_MAX_STR_DIGITS } from "../validation/python.js";

/**
 * How deeply arrays and objects may nest. Python's json gives up near its
 * recursion limit (1000, where DRF answers 500); refusing earlier keeps every
 * later step (validation, `str()` of the value) far from any stack limit.
 */
export const MAX_JSON_DEPTH = 512;

/**
 * In a parsed document, a number other than a small integer is kept as a
 * string: "~" then its literal, so Python's type and text can be recovered
 * exactly (`7.0` stays a float). A real string (or key) that starts with "~"
 * gets a second one; `unmark` takes it off again. Small integers stay numbers.
 */
export const MARK = "~";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const TILDE = 0x7e;
const NUMBER_SYNTAX = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$/;

/**
 * Python's `json.loads` as DRF's JSONParser calls it, with numbers kept exact
 * (see MARK), repeated keys keeping the last value, integers past Python's
 * 4300 digits refused, and nesting bounded, so a hostile document is a 400,
 * never a stack overflow.
 *
 * One linear pass over the text checks depth and marks the numbers; V8's
 * native JSON.parse does the rest. (A JavaScript JSON parser such as
 * lossless-json gives the same answers 20 to 60 times slower.)
 */
export function parseJsonText(text: string): unknown {
  const marked = markNumbers(text);
  try {
    return JSON.parse(marked);
  } catch (error) {
    throw new ParseError(`JSON parse error - ${(error as Error).message}`);
  }
}

/** A parsed string or key without its mark: the text it had in the document. */
export function unmark(value: string): string {
  return value.startsWith(MARK) ? value.slice(1) : value;
}

/** The literal of a parsed number, or undefined for a real string. */
export function numberLiteral(value: string): string | undefined {
  return value.startsWith(MARK) && !value.startsWith(MARK, 1) ? value.slice(1) : undefined;
}

function markNumbers(text: string): string {
  const pieces: string[] = [];
  const containers: number[] = [];
  let copiedUpTo = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      if (startsWithTilde(text, i + 1)) {
        pieces.push(text.slice(copiedUpTo, i + 1), MARK);
        copiedUpTo = i + 1;
      }
      i = endOfString(text, i);
      expectKey = false;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      containers.push(code);
      if (containers.length > MAX_JSON_DEPTH) {
        throw new ParseError(`JSON parse error - nesting deeper than ${MAX_JSON_DEPTH} levels at position ${i}`);
      }
      expectKey = code === OPEN_BRACE;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      containers.pop();
      expectKey = false;
    } else if (code === COMMA) {
      expectKey = containers[containers.length - 1] === OPEN_BRACE;
    } else if (code === COLON) {
      expectKey = false;
    } else if (code === 0x2d || (code >= 0x30 && code <= 0x39)) {
      // A number where a key belongs is invalid JSON; as a string it would not be.
      if (expectKey) throw new ParseError(`JSON parse error - Expecting property name enclosed in double quotes at position ${i}`);
      const end = endOfNumber(text, i);
      const literal = text.slice(i, end);
      checkNumber(literal, i);
      if (!isPlainInteger(literal)) {
        pieces.push(text.slice(copiedUpTo, i), `"${MARK}${literal}"`);
        copiedUpTo = end;
      }
      i = end - 1;
    }
  }
  if (copiedUpTo === 0) return text;
  pieces.push(text.slice(copiedUpTo));
  return pieces.join("");
}

/** Whether the string content at `at` begins with "~", written plainly or as `\u007e`. */
function startsWithTilde(text: string, at: number): boolean {
  if (text.charCodeAt(at) === TILDE) return true;
  return text.charCodeAt(at) === BACKSLASH && text.slice(at + 1, at + 6).toLowerCase() === "u007e";
}

/** The index of the closing quote of the string opening at `start` (or the end of the text). */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === BACKSLASH) i++;
    else if (code === QUOTE) return i;
  }
  return text.length;
}

function endOfNumber(text: string, start: number): number {
  let i = start + 1;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const numeric = (code >= 0x30 && code <= 0x39) || code === 0x2e || code === 0x65 || code === 0x45 || code === 0x2b || code === 0x2d;
    if (!numeric) break;
  }
  return i;
}

function checkNumber(literal: string, position: number): void {
  if (!NUMBER_SYNTAX.test(literal)) {
    throw new ParseError(`JSON parse error - Invalid number ${JSON.stringify(literal.slice(0, 40))} at position ${position}`);
  }
  const digits = literal.startsWith("-") ? literal.length - 1 : literal.length;
  if (digits > PY_INT_MAX_STR_DIGITS && isIntegerLiteral(literal)) {
    throw new ParseError(
      `JSON parse error - Exceeds the limit (${PY_INT_MAX_STR_DIGITS} digits) for integer string conversion: ` +
        `value has ${digits} digits; use sys.set_int_max_str_digits() to increase the limit`,
    );
  }
}

/** An integer JavaScript holds exactly and prints as Python does: it needs no mark. */
function isPlainInteger(literal: string): boolean {
  return literal.length <= 15 && literal !== "-0" && isIntegerLiteral(literal);
}

export function isIntegerLiteral(literal: string): boolean {
  return !literal.includes(".") && !literal.includes("e") && !literal.includes("E");
}
