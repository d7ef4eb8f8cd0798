import { parse } from "lossless-json";
import { ParseError } from "../errors.js";
import { PY_INT_MAX_STR_DIGITS, pyFloatText, pyIntText } from "../validation/python.js";
import { JsonNumber } from "./request-data.js";

/**
 * How deeply arrays and objects may nest. Python's json gives up near its
 * recursion limit (1000); refusing a little earlier keeps every later step
 * (validation, `str()` of the value) far from any stack limit.
 */
export const MAX_JSON_DEPTH = 512;

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Python's `json.loads`, as DRF's JSONParser calls it: numbers keep their
 * exact value and type (`7.0` is the float "7.0", a 30-digit integer stays
 * exact), a repeated key keeps its last value, and nesting is bounded so a
 * hostile document is a 400, never a stack overflow. Linear in the text.
 */
export function parseJsonText(text: string): unknown {
  checkDepth(text);
  try {
    return parse(text, null, { parseNumber: toJsonNumber, onDuplicateKey: ({ newValue }) => newValue });
  } catch (error) {
    if (error instanceof ParseError) throw error;
    throw new ParseError(`JSON parse error - ${(error as Error).message}`);
  }
}

function toJsonNumber(literal: string): JsonNumber {
  const isInteger = !/[.eE]/.test(literal);
  if (!isInteger) return new JsonNumber(pyFloatText(literal), false);
  const digits = literal.startsWith("-") ? literal.length - 1 : literal.length;
  if (digits > PY_INT_MAX_STR_DIGITS) {
    throw new ParseError(
      `JSON parse error - Exceeds the limit (${PY_INT_MAX_STR_DIGITS} digits) for integer string conversion: ` +
        `value has ${digits} digits; use sys.set_int_max_str_digits() to increase the limit`,
    );
  }
  return new JsonNumber(pyIntText(literal), true);
}

/** One pass over the text, skipping strings, counting open brackets. */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new ParseError(`JSON parse error - nesting deeper than ${MAX_JSON_DEPTH} levels at position ${i}`);
      }
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
      depth--;
    }
  }
}
