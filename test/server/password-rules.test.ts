import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_PASSWORD_POLICY, passwordProblems, quickRatio } from "../../packages/server/src/validation/password-rules.js";

// Expected answers recorded from Django 3.2.25's validate_password with the four
// default validators, and from Python 3.11's difflib.
const OWNER = { username: "ada.lovelace", email: "Ada.Byron@example.com", firstName: "Augusta", lastName: "King" };
const DJANGO: [string, string[]][] = [
  ["ada", ["The password is too similar to the username.", "This password is too short. It must contain at least 8 characters."]],
  ["lovelace1", ["The password is too similar to the username."]],
  ["adalovelace", ["The password is too similar to the username."]],
  ["password1", ["This password is too common."]],
  ["   ", ["This password is too short. It must contain at least 8 characters."]],
  ["12345678", ["This password is too common.", "This password is entirely numeric."]],
  ["١٢٣٤٥٦٧٨٩", ["This password is entirely numeric."]],
  ["²³¹²³¹²³¹", ["This password is entirely numeric."]],
  ["Augusta!!", ["The password is too similar to the first name."]],
  ["byron-example", ["The password is too similar to the email address."]],
  ["N3w-passw0rd!", []],
  [" Password ", ["This password is too common."]],
  ["ÄDA.LOVELACE", ["The password is too similar to the username."]],
  ["kingking", ["This password is too common."]],
  ["x", ["This password is too short. It must contain at least 8 characters.", "This password is too common."]],
  ["bits", ["This password is too short. It must contain at least 8 characters."]],
];

describe("Django's password validators", () => {
  for (const [password, messages] of DJANGO) {
    it(`answers ${JSON.stringify(password)} as Django does`, () => {
      assert.deepEqual(passwordProblems(password, OWNER, DEFAULT_PASSWORD_POLICY), messages);
    });
  }

  it("applies only the configured rules, with the configured minimum length", () => {
    assert.deepEqual(passwordProblems("ada", OWNER, { rules: ["length"], minLength: 1 }), []);
    assert.deepEqual(passwordProblems("", OWNER, { rules: ["length"], minLength: 1 }), [
      "This password is too short. It must contain at least 1 character.",
    ]);
    assert.deepEqual(passwordProblems("12345678", OWNER, { rules: ["numeric"], minLength: 8 }), ["This password is entirely numeric."]);
  });

  it("skips the similarity rule without a user", () => {
    assert.deepEqual(passwordProblems("ada.lovelace", undefined, DEFAULT_PASSWORD_POLICY), []);
  });
});

describe("difflib's quick_ratio", () => {
  const PYTHON: [string, string, number][] = [
    ["abcd", "bcde", 0.75],
    ["aab", "abb", 0.6666666666666666],
    ["", "", 1.0],
    ["héllo", "hello", 0.8],
    ["😀a", "a😀b", 0.8],
    ["password", "drowssap1", 0.9411764705882353],
  ];
  for (const [a, b, ratio] of PYTHON) {
    it(`quick_ratio(${JSON.stringify(a)}, ${JSON.stringify(b)}) is Python's ${ratio}`, () => {
      assert.equal(quickRatio(a, b), ratio);
    });
  }
});
