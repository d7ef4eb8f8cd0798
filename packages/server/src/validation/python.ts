/**
 * The few Python semantics DRF's validation depends on, so that the same input
 * gives the same answer: `str.strip()`, `len()` (which counts code points, not
 * UTF-16 units) and `str()` of numbers (`repr` of JSON values is in
 * http/json-summary.ts). Everything here runs in time linear in its input: it
 * sees untrusted text.
 */

/** The code points Python's `str.isspace()` is true for. */
const PY_SPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** `str.strip()`: a single pass from each end, never a regex over the text. */
export function pyStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PY_SPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PY_SPACE.has(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** `len()`: code points, so a surrogate pair counts once. */
export function pyLen(text: string): number {
  let pairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return text.length - pairs;
}

/** Python 3.11's `sys.get_int_max_str_digits()`: longer integer literals are refused. */
export const PY_INT_MAX_STR_DIGITS = 4300;

/**
 * `str(int(literal))` for a JSON integer literal: exact at any size (Python
 * ints are unbounded). JSON allows no leading zeros, so the literal is
 * already Python's text, except that `-0` is `0`.
 */
export function pyIntText(literal: string): string {
  return literal === "-0" ? "0" : literal;
}

/** `str(float(literal))`: Python's shortest round-tripping repr. */
export function pyFloatText(literal: string): string {
  const value = Number(literal);
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  // Both print the shortest round-tripping digits; they differ only in when
  // they switch to exponents and in Python's ".0" on integral values.
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-4 && magnitude < 1e16) {
    const shortest = String(value);
    if (!shortest.includes("e")) return shortest.includes(".") ? shortest : `${shortest}.0`;
  }
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
