import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { pyLen, pyStrip } from "./python.js";

/**
 * Django 3.2's four default password validators (`AUTH_PASSWORD_VALIDATORS`
 * of `startproject`), rule for rule and message for message, in Django's
 * order. `validate_password` runs every rule and reports every message.
 */
export type PasswordRuleName = "similarity" | "length" | "common" | "numeric";

export const PASSWORD_RULE_NAMES: readonly PasswordRuleName[] = ["similarity", "length", "common", "numeric"];

export interface PasswordPolicy {
  /** Which rules apply, in Django's order. */
  rules: readonly PasswordRuleName[];
  /** MinimumLengthValidator's `min_length`. */
  minLength: number;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { rules: PASSWORD_RULE_NAMES, minLength: 8 };

/** The user attributes UserAttributeSimilarityValidator compares, with their model's verbose names. */
export interface PasswordOwner {
  username: string;
  firstName?: string;
  lastName?: string;
  email: string;
}

const MAX_SIMILARITY = 0.7;

/** Every message the password earns under `policy`, none when it passes (Django's `validate_password`). */
export function passwordProblems(password: string, owner: PasswordOwner | undefined, policy: PasswordPolicy): string[] {
  const problems: string[] = [];
  for (const rule of policy.rules) {
    const problem = RULES[rule](password, owner, policy);
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}

const RULES: Record<PasswordRuleName, (password: string, owner: PasswordOwner | undefined, policy: PasswordPolicy) => string | undefined> =
  {
    similarity: (password, owner) => (owner ? similarAttribute(password, owner) : undefined),
    length: (password, _owner, { minLength }) =>
      pyLen(password) < minLength
        ? `This password is too short. It must contain at least ${minLength} character${minLength === 1 ? "" : "s"}.`
        : undefined,
    common: (password) => (commonPasswords().has(pyStrip(password.toLowerCase())) ? "This password is too common." : undefined),
    numeric: (password) => (isPyDigits(password) ? "This password is entirely numeric." : undefined),
  };

function similarAttribute(password: string, owner: PasswordOwner): string | undefined {
  const lowered = password.toLowerCase();
  const attributes: [string | undefined, string][] = [
    [owner.username, "username"],
    [owner.firstName, "first name"],
    [owner.lastName, "last name"],
    [owner.email, "email address"],
  ];
  for (const [value, verboseName] of attributes) {
    if (!value) continue;
    const valueLower = value.toLowerCase();
    for (const part of [...valueLower.split(PY_NON_WORD), valueLower]) {
      if (exceedsMaximumLengthRatio(lowered, part)) continue;
      if (quickRatio(lowered, part) >= MAX_SIMILARITY) return `The password is too similar to the ${verboseName}.`;
    }
  }
  return undefined;
}

/** Python's `\W+` on str patterns: anything but letters, numbers and "_". */
const PY_NON_WORD = /[^\p{L}\p{N}_]+/u;

/** Django's shortcut: a value this much shorter than the password can never be similar enough. */
function exceedsMaximumLengthRatio(password: string, value: string): boolean {
  const passwordLength = pyLen(password);
  const valueLength = pyLen(value);
  return passwordLength >= 10 * valueLength && valueLength < (MAX_SIMILARITY / 2) * passwordLength;
}

/**
 * `difflib.SequenceMatcher(a=a, b=b).quick_ratio()`: the size of the two
 * strings' intersection as multisets of code points, as 2·M/T.
 */
export function quickRatio(a: string, b: string): number {
  const fullBCount = new Map<string, number>();
  let lengthB = 0;
  for (const element of b) {
    fullBCount.set(element, (fullBCount.get(element) ?? 0) + 1);
    lengthB++;
  }
  const avail = new Map<string, number>();
  let matches = 0;
  let lengthA = 0;
  for (const element of a) {
    lengthA++;
    const numb = avail.has(element) ? (avail.get(element) ?? 0) : (fullBCount.get(element) ?? 0);
    avail.set(element, numb - 1);
    if (numb > 0) matches++;
  }
  const length = lengthA + lengthB;
  return length ? (2.0 * matches) / length : 1.0;
}

/**
 * Python's `str.isdigit()`: decimal digits and the other characters with
 * Numeric_Type=Digit (superscripts, circled and parenthesized digits …).
 */
const PY_DIGITS =
  /^[\p{Nd}\u00b2\u00b3\u00b9\u1369-\u1371\u19da\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247c\u2488-\u2490\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792\u{10a40}-\u{10a43}\u{10e60}-\u{10e68}\u{11052}-\u{1105a}\u{1f100}-\u{1f10a}]+$/u;

const isPyDigits = (text: string) => PY_DIGITS.test(text);

let common: ReadonlySet<string> | undefined;

/** Django's list (see data/README.md), read once, on first use. */
function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const text = gunzipSync(readFileSync(new URL("../../data/common-passwords.txt.gz", import.meta.url))).toString("utf8");
    const lines = text.split("\n");
    // Python iterates lines: a final newline does not start another one.
    if (text.endsWith("\n")) lines.pop();
    common = new Set(lines.map((line) => pyStrip(line)));
  }
  return common;
}
