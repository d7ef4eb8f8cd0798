/**
 * The few Python semantics DRF's validation depends on, so that the same input
 * gives the same answer: `str(value)`, `str.strip()`, `type(value).__name__`
 * and `len()` (which counts code points, not UTF-16 units).
 */
import { UploadedFile } from "../http/request-data.js";

const PY_SPACE = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const OUTER_SPACE = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");

export function pyStrip(text: string): string {
  return text.replace(OUTER_SPACE, "");
}

export function pyLen(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function pyTypeName(value: unknown): string {
  if (value === null) return "NoneType";
  if (Array.isArray(value)) return "list";
  switch (typeof value) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "number":
      return Number.isSafeInteger(value) ? "int" : "float";
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
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "string") return pyStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  if (value instanceof UploadedFile) return value.filename;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([key, item]) => `${pyStringRepr(key)}: ${pyRepr(item)}`).join(", ")}}`;
}

function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/[\\\n\r\t]/g, (ch) => ({ "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" })[ch] ?? ch);
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

/**
 * A JSON number as Python prints it. JSON.parse keeps no trace of how a number
 * was written, so a safe integer is taken for a Python int and anything else
 * for a float (`1e+20`, `1.5`, `1e-05`).
 */
export function pyNumber(value: number): string {
  if (Number.isSafeInteger(value)) return String(value);
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
  const [mantissa = "", exponentText = "0"] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const fixed = value.toFixed(Math.max(0, mantissa.replace(/^-?\d\.?/, "").length - exponent));
  return fixed.includes(".") ? fixed : `${fixed}.0`;
}
