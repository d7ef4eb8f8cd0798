/**
 * The few Python semantics DRF's validation depends on, so that the same input
 * gives the same answer: `str(value)`, `str.strip()`, `type(value).__name__`
 * and `len()` (which counts code points, not UTF-16 units). Everything here
 * runs in time linear in its input: it sees untrusted text.
 */
import { JsonNumber, UploadedFile } from "../http/request-data.js";

/** The code points Python's `str.isspace()` is true for. */
const PY_SPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
  0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

export function isPySpace(code: number): boolean {
  return PY_SPACE.has(code);
}

/** `str.strip()`: a single pass from each end, never a regex over the text. */
export function pyStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PY_SPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PY_SPACE.has(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

export function pyLen(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function pyTypeName(value: unknown): string {
  if (value === null) return "NoneType";
  if (Array.isArray(value)) return "list";
  if (value instanceof JsonNumber) return value.isInteger ? "int" : "float";
  switch (typeof value) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    default:
      return "dict";
  }
}

/** `str(value)` for a value parsed from JSON or a form. */
export function pyStr(value: unknown): string {
  if (typeof value === "string") return value;
  return pyRepr(value);
}

function pyRepr(value: unknown): string {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (value instanceof JsonNumber) return value.text;
  if (typeof value === "string") return pyStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  if (value instanceof UploadedFile) return value.filename;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([key, item]) => `${pyStringRepr(key)}: ${pyRepr(item)}`).join(", ")}}`;
}

const REPR_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/[\\\n\r\t]/g, (ch) => REPR_ESCAPES[ch] ?? ch);
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

/** Python 3.11's `sys.get_int_max_str_digits()`: longer integer literals are refused. */
export const PY_INT_MAX_STR_DIGITS = 4300;

/**
 * `str(int(literal))` for a JSON integer literal: exact at any size (Python
 * ints are unbounded), `-0` is `0`. The caller keeps literals within
 * PY_INT_MAX_STR_DIGITS, as Python does.
 */
export function pyIntText(literal: string): string {
  return BigInt(literal).toString();
}

/** `str(float(literal))`: Python's shortest round-tripping repr. */
export function pyFloatText(literal: string): string {
  const value = Number(literal);
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const [mantissa = "", exponentText = "0"] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const fractionDigits = mantissa.replace("-", "").replace(".", "").length - 1 - exponent;
  const fixed = value.toFixed(Math.max(0, fractionDigits));
  return fixed.includes(".") ? fixed : `${fixed}.0`;
}
