import { isValidEmail } from "./email.js";
import type { PyValue } from "../http/request-data.js";
import { pyLen } from "./python.js";

/** Returns the messages a value earns, none when it is fine. */
export type Validator = (value: string) => Promise<string[]> | string[];

export interface FieldSpec<Name extends string = string> {
  name: Name;
  /** Coerce the raw value to text, or return undefined for "Not a valid string.". */
  toText: (raw: PyValue) => string | undefined;
  trim: boolean;
  validators: Validator[];
  /** DRF's `required`: when false, a missing field is left out of the values. */
  required: boolean;
  /** DRF's `allow_blank`: a blank value is accepted as "" without further checks. */
  allowBlank: boolean;
  /** The serializer's `validate_<name>`: runs only on a value its field accepted. */
  then: Validator | undefined;
}

/** DRF's CharField: strings and plain numbers only, numbers as Python prints them. */
export function charToText(raw: PyValue): string | undefined {
  return raw.type === "str" || raw.type === "int" || raw.type === "float" ? raw.text : undefined;
}

/** DRF's EmailField takes `str()` of anything, which then fails the email check. */
export const emailToText = (raw: PyValue): string => raw.text;

export function maxLength(limit: number): Validator {
  return (value) => (pyLen(value) > limit ? [`Ensure this field has no more than ${limit} characters.`] : []);
}

export const prohibitNullCharacters: Validator = (value) => (value.includes("\0") ? ["Null characters are not allowed."] : []);

/** A lone surrogate: in a `u` regex a proper pair is one code point and never matches. */
const LONE_SURROGATE = /\p{Cs}/u;

export const prohibitSurrogateCharacters: Validator = (value) => {
  const lone = LONE_SURROGATE.exec(value)?.[0];
  return lone === undefined ? [] : [`Surrogate characters are not allowed: U+${lone.charCodeAt(0).toString(16).toUpperCase()}.`];
};

export const validEmail: Validator = (value) => (isValidEmail(value) ? [] : ["Enter a valid email address."]);

// Django's UnicodeUsernameValidator: Python's `\w` is letters, numbers and "_".
const USERNAME = /^[\p{L}\p{N}_.@+-]+$/u;

export const isValidUsername = (value: string): boolean => USERNAME.test(value);

export const validUsername: Validator = (value) =>
  isValidUsername(value) ? [] : ["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."];

/** A CharField as DRF builds it: its own validators, then max length, then its character checks. */
export function charField<Name extends string>(
  name: Name,
  options: {
    trim?: boolean;
    maxLength?: number;
    validators?: Validator[];
    email?: boolean;
    required?: boolean;
    allowBlank?: boolean;
    then?: Validator;
  } = {},
): FieldSpec<Name> {
  const validators = [...(options.validators ?? [])];
  if (options.maxLength !== undefined) validators.push(maxLength(options.maxLength));
  validators.push(prohibitNullCharacters, prohibitSurrogateCharacters);
  if (options.email) validators.push(validEmail);
  return {
    name,
    toText: options.email ? emailToText : charToText,
    trim: options.trim ?? true,
    validators,
    required: options.required ?? true,
    allowBlank: options.allowBlank ?? false,
    then: options.then,
  };
}
