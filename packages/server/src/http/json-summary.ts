import { isIntegerLiteral, numberLiteral, parseJsonText, unmark } from "./json.js";
import type { JsonSummary, PyType, PyValue } from "./request-data.js";
import { pyFloatText, pyIntText } from "../validation/python.js";

/**
 * Parses a JSON body and keeps what a serializer reads of it: the top-level
 * type and, for a dictionary, each field's type and `str()`. Small enough to
 * send back from a worker thread; throws ParseError like the parser.
 */
export function summarizeJson(text: string): JsonSummary {
  const value = parseJsonText(text);
  const type = pyTypeOf(value);
  if (type !== "dict") return { type };
  const fields = new Map<string, PyValue>();
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    fields.set(unmark(key), { type: pyTypeOf(item), text: pyStrOf(item) });
  }
  return { type, fields };
}

/** `type(value).__name__` of a parsed value. */
function pyTypeOf(value: unknown): PyType {
  if (value === null) return "NoneType";
  if (Array.isArray(value)) return "list";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "int";
  if (typeof value === "string") {
    const literal = numberLiteral(value);
    if (literal === undefined) return "str";
    return isIntegerLiteral(literal) ? "int" : "float";
  }
  return "dict";
}

/**
 * How much of `str()` of a list or dict is kept. Only an EmailField reads it,
 * and all its validators can tell from the first 320 characters: it is over
 * 254 characters or not, and never a valid address. Cutting it keeps a
 * megabyte-sized list from costing a megabyte-sized string.
 */
export const CONTAINER_TEXT_LIMIT = 1024;

/** `str(value)` of a parsed value (of a list or dict, its first CONTAINER_TEXT_LIMIT characters, then " …"). */
function pyStrOf(value: unknown): string {
  if (typeof value === "string" && numberLiteral(value) === undefined) return unmark(value);
  if (typeof value === "number") return String(value);
  const parts: string[] = [];
  const complete = pyRepr(value, parts, { left: CONTAINER_TEXT_LIMIT });
  return complete ? parts.join("") : `${parts.join("").slice(0, CONTAINER_TEXT_LIMIT)} …`;
}

/** Appends Python's `repr()` of `value` to `parts` until the budget runs out; false when it did. */
function pyRepr(value: unknown, parts: string[], budget: { left: number }): boolean {
  if (budget.left < 0) return false;
  if (Array.isArray(value)) return reprItems("[", value, "]", parts, budget, (item) => pyRepr(item, parts, budget));
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    return reprItems("{", Object.keys(object), "}", parts, budget, (key) => {
      emit(`${pyStringRepr(unmark(key))}: `, parts, budget);
      return pyRepr(object[key], parts, budget);
    });
  }
  emit(scalarRepr(value), parts, budget);
  return budget.left >= 0;
}

function reprItems<T>(
  open: string,
  items: readonly T[],
  close: string,
  parts: string[],
  budget: { left: number },
  each: (item: T) => boolean,
): boolean {
  emit(open, parts, budget);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) emit(", ", parts, budget);
    if (!each(items[i] as T)) return false;
  }
  emit(close, parts, budget);
  return budget.left >= 0;
}

function emit(text: string, parts: string[], budget: { left: number }): void {
  parts.push(text);
  budget.left -= text.length;
}

function scalarRepr(value: unknown): string {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return String(value);
  const text = value as string;
  const literal = numberLiteral(text);
  if (literal === undefined) return pyStringRepr(unmark(text));
  return isIntegerLiteral(literal) ? pyIntText(literal) : pyFloatText(literal);
}

const REPR_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
/** What Python's `repr` escapes: backslash, and what `str.isprintable()` rejects (controls, format, surrogates, separators but space). */
const UNPRINTABLE = /[\\\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?! )\p{Zs}/gu;

/** Python's `repr()` of a str: quoted, unprintable characters escaped. */
function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(UNPRINTABLE, escapeCharacter);
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

function escapeCharacter(ch: string): string {
  const known = REPR_ESCAPES[ch];
  if (known) return known;
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, "0")}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, "0")}`;
  return `\\U${code.toString(16).padStart(8, "0")}`;
}
