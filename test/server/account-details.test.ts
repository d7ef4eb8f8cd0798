import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { post, registration } from "../helpers/http.js";
import { startInProcess, type InProcessServer } from "../helpers/server.js";

async function send(url: string, method: string, token: string, body: unknown) {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Token ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

// Answers checked against the reference (dj-rest-auth 5.0.2 on Django 3.2) beyond the recorded cases.
describe("account lifecycle, in process", () => {
  let server: InProcessServer;
  let token: string;
  before(async () => {
    server = await startInProcess();
    token = ((await post(`${server.url}/account/register/`, registration("ada"))).body as { token: string }).token;
  });
  after(async () => {
    await server.close();
  });

  it("user/: names may be blank but not null, PUT needs a username, outer spaces are trimmed", async () => {
    const user = `${server.url}/account/user/`;
    assert.deepEqual(await send(user, "PATCH", token, { first_name: "  Ada  ", last_name: null }), {
      status: 400,
      body: { last_name: ["This field may not be null."] },
    });
    assert.deepEqual((await send(user, "PATCH", token, { first_name: "  Ada  ", last_name: "" })).body, {
      pk: 1,
      username: "ada",
      email: "ada@example.com",
      first_name: "Ada",
      last_name: "",
    });
    assert.deepEqual(await send(user, "PUT", token, { first_name: "   " }), {
      status: 400,
      body: { username: ["This field is required."] },
    });
    assert.deepEqual((await send(user, "PATCH", token, { first_name: "x".repeat(151) })).body, {
      first_name: ["Ensure this field has no more than 150 characters."],
    });
  });

  it("password/reset/: an address longer than Django's form allows gets the form's error, nested under the field", async () => {
    const email = `${"a".repeat(250)}@example.com`;
    assert.deepEqual((await post(`${server.url}/account/password/reset/`, { email })).body, {
      email: { email: ["Ensure this value has at most 254 characters (it has 262)."] },
    });
  });

  it("password/change/: every message of Django's rules, with the user's own attributes", async () => {
    const change = { old_password: "s3cret-pw", new_password1: "ada", new_password2: "ada" };
    assert.deepEqual((await post(`${server.url}/account/password/change/`, change, { authorization: `Token ${token}` })).body, {
      new_password2: ["The password is too similar to the username.", "This password is too short. It must contain at least 8 characters."],
    });
  });
});

describe("registration with AUTHCTL_REGISTER_PASSWORD_RULES", () => {
  it("applies the configured rules under password, and only when asked", async () => {
    const strict = await startInProcess({
      config: { registerPasswordRules: true, passwordPolicy: { rules: ["length", "numeric"], minLength: 10 } },
    });
    const seed = await startInProcess();
    try {
      assert.deepEqual((await post(`${strict.url}/account/register/`, registration("bob", "123456789"))).body, {
        password: ["This password is too short. It must contain at least 10 characters.", "This password is entirely numeric."],
      });
      assert.equal((await post(`${strict.url}/account/register/`, registration("bob", "l0ng-enough-pw"))).status, 201);
      assert.equal((await post(`${seed.url}/account/register/`, registration("bob", "1"))).status, 201);
    } finally {
      await strict.close();
      await seed.close();
    }
  });
});
