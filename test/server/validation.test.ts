import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ValidationError } from "../../packages/server/src/errors.js";
import type { RequestData } from "../../packages/server/src/http/request-data.js";
import { isValidEmail } from "../../packages/server/src/validation/email.js";
import { charField, validUsername, type FieldSpec } from "../../packages/server/src/validation/fields.js";
import { pyFloatText, pyStrip } from "../../packages/server/src/validation/python.js";
import { MAX_JSON_DEPTH, parseJsonText } from "../../packages/server/src/http/json.js";
import { summarizeJson } from "../../packages/server/src/http/json-summary.js";
import { ParseError } from "../../packages/server/src/errors.js";
import { validate } from "../../packages/server/src/validation/serializer.js";

const parsed = (text: string): RequestData => ({ kind: "json", summary: summarizeJson(text) });
const json = (value: unknown): RequestData => parsed(JSON.stringify(value));

async function errorsOf(data: RequestData, fields: readonly FieldSpec[] = [charField("name", { maxLength: 5 })]) {
  try {
    await validate(data, fields);
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    return error.errors;
  }
  assert.fail("expected a validation error");
}

describe("serializer validation (DRF semantics)", () => {
  it("reports required, blank and null like DRF", async () => {
    const fields = [charField("a"), charField("b"), charField("c")];
    assert.deepEqual(await errorsOf(json({ b: "  ", c: null }), fields), {
      a: ["This field is required."],
      b: ["This field may not be blank."],
      c: ["This field may not be null."],
    });
  });

  it("coerces numbers as Python prints them and rejects other types", async () => {
    const fields = [charField("a"), charField("b"), charField("c")];
    assert.deepEqual(await validate(parsed('{"a": 123, "b": 1.5, "c": 1e20}'), fields), { a: "123", b: "1.5", c: "1e+20" });
    assert.deepEqual(await errorsOf(json({ a: true, b: [], c: {} }), fields), {
      a: ["Not a valid string."],
      b: ["Not a valid string."],
      c: ["Not a valid string."],
    });
  });

  it("counts length in code points and reports every failing validator", async () => {
    assert.deepEqual(await validate(json({ name: "😀😀😀😀😀" }), [charField("name", { maxLength: 5 })]), { name: "😀😀😀😀😀" });
    const fields = [charField("name", { maxLength: 3, validators: [validUsername] })];
    assert.deepEqual(await errorsOf(json({ name: "a b\u0000" }), fields), {
      name: [
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
        "Ensure this field has no more than 3 characters.",
        "Null characters are not allowed.",
      ],
    });
  });

  it("names lone surrogates the way DRF does", async () => {
    assert.deepEqual(await errorsOf(json({ name: "a\udc00" })), { name: ["Surrogate characters are not allowed: U+DC00."] });
  });

  it("rejects bodies that are not dictionaries", async () => {
    assert.deepEqual(await errorsOf(json([1])), { non_field_errors: ["Invalid data. Expected a dictionary, but got list."] });
    assert.deepEqual(await errorsOf(parsed("2.5")), { non_field_errors: ["Invalid data. Expected a dictionary, but got float."] });
    assert.deepEqual(await errorsOf(json(null)), { non_field_errors: ["No data provided"] });
  });

  it("takes the last value of a repeated form field", async () => {
    const data: RequestData = { kind: "form", fields: new Map([["name", ["first", "last"]]]) };
    assert.deepEqual(await validate(data, [charField("name")]), { name: "last" });
  });

  it("trims Python's whitespace, not JavaScript's", () => {
    assert.equal(pyStrip("\u001c\u0085 a \u3000"), "a");
    assert.equal(pyStrip("\ufeffa"), "\ufeffa");
  });

  it("strips a megabyte of inner and outer whitespace in one pass", () => {
    const padded = `${" ".repeat(500_000)}a${" ".repeat(500_000)}a${"\u3000".repeat(500_000)}`;
    assert.equal(pyStrip(padded), `a${" ".repeat(500_000)}a`);
    assert.equal(pyStrip(" \t\n"), "");
  });

  it("prints floats like Python's repr", () => {
    assert.deepEqual(
      ["1e-5", "0.0001", "1e16", "123.456", "9007199254740994.0", "7.0", "-0.0", "1e400", "-1E400", "0.1e1"].map(pyFloatText),
      ["1e-05", "0.0001", "1e+16", "123.456", "9007199254740994.0", "7.0", "-0.0", "inf", "-inf", "1.0"],
    );
  });
});

describe("JSON bodies (Python's json.loads)", () => {
  it("keeps each number's Python type and text", async () => {
    const fields = [charField("a"), charField("b"), charField("c"), charField("d")];
    const body = '{"a": 7.0, "b": 123456789012345678901234567890, "c": -0, "d": 2e0}';
    assert.deepEqual(await validate(parsed(body), fields), { a: "7.0", b: "123456789012345678901234567890", c: "0", d: "2.0" });
    assert.deepEqual(await errorsOf(parsed("2.0")), { non_field_errors: ["Invalid data. Expected a dictionary, but got float."] });
    assert.deepEqual(await errorsOf(parsed("2")), { non_field_errors: ["Invalid data. Expected a dictionary, but got int."] });
  });

  it("prints nested numbers inside str() of a list as Python does", async () => {
    const fields = [charField("e", { email: true })];
    assert.deepEqual(await errorsOf(parsed('{"e": [1.0, 10000000000000000000001, {"k": null}]}'), fields), {
      e: ["Enter a valid email address."],
    });
  });

  it("keeps the last of repeated keys and never touches the prototype", () => {
    assert.deepEqual(summarizeJson('{"a": "1", "a": "2"}').fields?.get("a"), { type: "str", text: "2" });
    const summary = summarizeJson('{"__proto__": {"polluted": "yes"}}');
    assert.deepEqual(summary.fields?.get("__proto__"), { type: "dict", text: "{'polluted': 'yes'}" });
    assert.equal(({} as { polluted?: string }).polluted, undefined);
  });

  it("tells strings that start with the number mark from numbers, however they are written", () => {
    const summary = summarizeJson('{"~a": "~b", "c": "\\u007e1", "d": "~~", "n": -1.5e3, "l": ["~x", 2.50, {"~k": 0}]}');
    assert.deepEqual(Object.fromEntries(summary.fields ?? []), {
      "~a": { type: "str", text: "~b" },
      c: { type: "str", text: "~1" },
      d: { type: "str", text: "~~" },
      n: { type: "float", text: "-1500.0" },
      l: { type: "list", text: "['~x', 2.5, {'~k': 0}]" },
    });
  });

  it("refuses a number where a key belongs", () => {
    assert.throws(() => parseJsonText("{1: 2}"), ParseError);
    assert.throws(() => parseJsonText('{"a": 1, 2: 3}'), ParseError);
  });

  it("refuses nesting deeper than the bound with a parse error, not a crash", () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    assert.deepEqual(parseJsonText(deep(MAX_JSON_DEPTH)), JSON.parse(deep(MAX_JSON_DEPTH)) as unknown);
    for (const text of [deep(MAX_JSON_DEPTH + 1), deep(100_000), `{"a": ${"[".repeat(5000)}`]) {
      assert.throws(
        () => parseJsonText(text),
        (error) => error instanceof ParseError && /^JSON parse error - nesting deeper/.test(error.message),
      );
    }
    // Brackets inside strings are text, not nesting.
    assert.deepEqual(summarizeJson(`{"a": "${"[".repeat(5000)}"}`).fields?.get("a"), { type: "str", text: "[".repeat(5000) });
  });

  it("refuses integer literals longer than Python's 4300 digits, as json.loads does", () => {
    assert.deepEqual(summarizeJson("9".repeat(4300)), { type: "int" });
    assert.throws(
      () => parseJsonText(`{"a": -${"1".repeat(4301)}}`),
      (error) =>
        error instanceof ParseError &&
        error.message.includes("Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits"),
    );
  });

  it("answers syntax errors as DRF's ParseError", () => {
    for (const text of ["{", '{"a": NaN}', "[1,]", "01", '"\\u00"', "{} {}"]) {
      assert.throws(
        () => parseJsonText(text),
        (error) => error instanceof ParseError && error.message.startsWith("JSON parse error - "),
        text,
      );
    }
  });
});

describe("email validation (Django's EmailValidator)", () => {
  it("accepts what Django accepts", () => {
    for (const email of ["a@example.com", "a.b+c@x.io", '"a@b"@x.io', "a@localhost", "a@[127.0.0.1]", "a@[::1]", "a@bücher.de"]) {
      assert.ok(isValidEmail(email), email);
    }
  });

  it("rejects what Django rejects", () => {
    for (const email of [
      '"a b"@x.io',
      "not-an-email",
      "a@-x.io",
      "a@x.123x-",
      "a@x",
      "@x.io",
      "a@[999.1.1.1]",
      `${"a".repeat(320)}@x.io`,
    ]) {
      assert.ok(!isValidEmail(email), email);
    }
  });
});
