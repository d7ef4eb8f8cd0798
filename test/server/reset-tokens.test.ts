import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeUid, encodeUid, ResetTokens } from "../../packages/server/src/auth/reset-tokens.js";
import type { UserRecord } from "../../packages/server/src/store/store.js";

const USER: UserRecord = {
  id: 7,
  username: "ada",
  email: "ada@example.com",
  passwordHash: "bcrypt_sha256$$2b$12$abc",
  isActive: true,
  isStaff: false,
  isSuperuser: false,
  dateJoined: "2026-01-01T00:00:00.000Z",
  firstName: "",
  lastName: "",
  lastLogin: null,
};
const NOW = Date.UTC(2026, 11, 6);
const DAY_MS = 86_400_000;
const THREE_DAYS_S = 3 * 86_400;

describe("password reset tokens (Django's PasswordResetTokenGenerator)", () => {
  // Both made by Django 3.2.25 with SECRET_KEY "s3cret" at 2026-12-06 00:00:00.
  it("makes Django's token for the same user, time and secret", () => {
    const tokens = new ResetTokens("s3cret", THREE_DAYS_S, () => NOW);
    assert.equal(tokens.make(USER), "dj51c0-da47938596afcc0246319c75b578f302");
    assert.equal(tokens.make({ ...USER, lastLogin: "2026-01-02T03:04:05.678Z" }), "dj51c0-9b74bea65fbd1216d93318f3613d8092");
  });

  it("accepts a token for its user until the timeout, and no longer", () => {
    let now = NOW;
    const tokens = new ResetTokens("s3cret", THREE_DAYS_S, () => now);
    const token = tokens.make(USER);
    now += 3 * DAY_MS;
    assert.equal(tokens.check(USER, token), true);
    now += 1000;
    assert.equal(tokens.check(USER, token), false);
  });

  it("refuses it once the password, the e-mail or the last login changed, for another user, or under another secret", () => {
    const tokens = new ResetTokens("s3cret", THREE_DAYS_S, () => NOW);
    const token = tokens.make(USER);
    assert.equal(tokens.check({ ...USER, passwordHash: "bcrypt_sha256$$2b$12$new" }, token), false);
    assert.equal(tokens.check({ ...USER, email: "ada@example.org" }, token), false);
    assert.equal(tokens.check({ ...USER, lastLogin: "2026-12-06T00:00:00.000Z" }, token), false);
    assert.equal(tokens.check({ ...USER, id: 8 }, token), false);
    assert.equal(new ResetTokens("other", THREE_DAYS_S, () => NOW).check(USER, token), false);
  });

  it("refuses malformed tokens", () => {
    const tokens = new ResetTokens("s3cret", THREE_DAYS_S, () => NOW);
    const token = tokens.make(USER);
    for (const bad of ["", "garbage", token.toUpperCase(), `${token}-x`, `+${token}`, `0${token}`, "zzzzzzzzzzzzzz-00"]) {
      assert.equal(tokens.check(USER, bad), false, bad);
    }
  });
});

describe("uids (Django's urlsafe_base64 of the user id)", () => {
  it("encodes ids as Django does", () => {
    assert.deepEqual([encodeUid(1), encodeUid(10), encodeUid(100)], ["MQ", "MTA", "MTAw"]);
  });

  it("decodes what Python's lenient decoder and int() read, and nothing else", () => {
    // Python: MQ==→b"1", IDEg→b" 1 ", KzE→b"+1", MV8w→b"1_0"; the others raise.
    const cases: [string, number | undefined][] = [
      ["MQ", 1],
      ["MQ==", 1],
      ["MTAw", 100],
      ["IDEg", 1],
      ["KzE", 1],
      ["MV8w", 10],
      ["garbage!", undefined],
      ["a", undefined],
      ["!!MQ", undefined],
      ["MQ=x", undefined],
      ["M-Q", undefined],
    ];
    for (const [uid, id] of cases) assert.equal(decodeUid(uid), id, uid);
  });
});
