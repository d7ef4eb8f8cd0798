import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ValidationError } from "../../packages/server/src/errors.js";
import type { RequestData } from "../../packages/server/src/http/request-data.js";
import { isValidEmail } from "../../packages/server/src/validation/email.js";
import { charField, validUsername } from "../../packages/server/src/validation/fields.js";
import { pyNumber, pyStrip } from "../../packages/server/src/validation/python.js";
import { validate } from "../../packages/server/src/validation/serializer.js";

const json = (value: unknown): RequestData => ({ kind: "json", value });

async function errorsOf(data: RequestData, fields = [charField("name", { maxLength: 5 })]) {
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
    assert.deepEqual(await validate(json({ a: 123, b: 1.5, c: 1e20 }), fields), { a: "123", b: "1.5", c: "1e+20" });
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
    assert.deepEqual(await errorsOf(json(2.5)), { non_field_errors: ["Invalid data. Expected a dictionary, but got float."] });
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

  it("prints floats like Python's repr", () => {
    assert.deepEqual([1e-5, 0.0001, 1e16, 123.456, 2 ** 53 + 2].map(pyNumber), [
      "1e-05",
      "0.0001",
      "1e+16",
      "123.456",
      "9007199254740994.0",
    ]);
  });
});

describe("email validation (Django's EmailValidator)", () => {
  it("accepts what Django accepts", () => {
    for (const email of ["a@example.com", "a.b+c@x.io", '"a@b"@x.io', "a@localhost", "a@[127.0.0.1]", "a@[::1]", "a@bücher.de"]) {
      assert.ok(isValidEmail(email), email);
    }
  });

  it("rejects what Django rejects", () => {
    for (const email of ['"a b"@x.io', "not-an-email", "a@-x.io", "a@x.123x-", "a@x", "@x.io", "a@[999.1.1.1]", `${"a".repeat(320)}@x.io`]) {
      assert.ok(!isValidEmail(email), email);
    }
  });
});
