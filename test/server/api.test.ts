import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BcryptSha256Hasher } from "../../packages/server/src/auth/hasher.js";
import type { Logger } from "../../packages/server/src/logger.js";
import { post, registration, startInProcess, type InProcessServer } from "../helpers/server.js";
import { uniqueName } from "../helpers/temp.js";
import { setActive } from "../../packages/server/src/store/queries.js";

const USERNAME_TAKEN = { username: ["A user with that username already exists."] };
const EMAIL_TAKEN = { error: "Email already exists!" };

describe("account API", () => {
  const lines: string[] = [];
  const log: Logger = { info: (line) => lines.push(line), error: (line) => lines.push(line) };
  let server: InProcessServer;
  before(async () => (server = await startInProcess({ log, config: { bodyLimit: 64 * 1024 } })));
  after(() => server.close());

  it("gives exactly one 201 to 50 concurrent registrations of one username", async () => {
    const username = uniqueName("race");
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post(`${server.url}/account/register/`, { ...registration(username), email: `${username}-${i}@example.com` }),
      ),
    );
    assert.equal(answers.filter((a) => a.status === 201).length, 1);
    for (const answer of answers.filter((a) => a.status !== 201)) {
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.body, USERNAME_TAKEN);
    }
  });

  it("gives exactly one 201 to 50 concurrent registrations of one email, in any case", async () => {
    const email = `${uniqueName("race")}@example.com`;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post(`${server.url}/account/register/`, { ...registration(uniqueName("mail")), email: i % 2 ? email : email.toUpperCase() }),
      ),
    );
    assert.equal(answers.filter((a) => a.status === 201).length, 1);
    for (const answer of answers.filter((a) => a.status !== 201)) assert.deepEqual(answer.body, EMAIL_TAKEN);
  });

  it("never creates staff or superusers, whatever the body says", async () => {
    const username = uniqueName();
    const answer = await post(`${server.url}/account/register/`, { ...registration(username), is_staff: true, is_superuser: true });
    assert.equal(answer.status, 201);
    const user = await server.store.findUserByUsername(username);
    assert.deepEqual([user?.isStaff, user?.isSuperuser, user?.isActive], [false, false, true]);
  });

  it("refuses login and tokens of an inactive user", async () => {
    const username = uniqueName();
    const { body } = await post(`${server.url}/account/register/`, registration(username));
    const token = (body as { token: string }).token;
    const user = await server.store.findUserByUsername(username);
    assert.ok(user);
    await deactivate(server, user.id);
    const login = await post(`${server.url}/account/login/`, { username, password: "s3cret-pw" });
    assert.deepEqual([login.status, login.body], [400, { non_field_errors: ["Unable to log in with provided credentials."] }]);
    const logout = await post(`${server.url}/account/logout/`, undefined, { authorization: `Token ${token}` });
    assert.deepEqual([logout.status, logout.body], [401, { detail: "User inactive or deleted." }]);
    assert.equal(logout.headers.get("www-authenticate"), "Token");
  });

  it("upgrades a password hash made at another cost on the next login", async () => {
    const username = uniqueName();
    await post(`${server.url}/account/register/`, registration(username));
    const user = await server.store.findUserByUsername(username);
    assert.ok(user);
    await server.store.setPasswordHash(user.id, await new BcryptSha256Hasher(5).hash("s3cret-pw"));
    assert.equal((await post(`${server.url}/account/login/`, { username, password: "s3cret-pw" })).status, 200);
    assert.match((await server.store.findUserByUsername(username))?.passwordHash ?? "", /^bcrypt_sha256\$\$2b\$04\$/);
  });

  it("answers /account/me/ with the token's owner", async () => {
    const username = uniqueName();
    const { body } = await post(`${server.url}/account/register/`, registration(username));
    const response = await fetch(`${server.url}/account/me/`, { headers: { authorization: `Token ${(body as { token: string }).token}` } });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { username, email: `${username}@example.com` });
    const anonymous = await fetch(`${server.url}/account/me/`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get("www-authenticate"), "Token");
  });

  it("answers unknown paths with a JSON 404 and redirects a missing trailing slash", async () => {
    const missing = await fetch(`${server.url}/nope/`);
    assert.deepEqual([missing.status, await missing.json()], [404, { detail: "Not found." }]);
    const slashless = await fetch(`${server.url}/account/login?next=1`, { method: "POST", redirect: "manual" });
    assert.deepEqual([slashless.status, slashless.headers.get("location")], [301, "/account/login/?next=1"]);
  });

  it("rejects bodies over the limit with 413 and a JSON detail", async () => {
    const big = { ...registration(uniqueName()), padding: "x".repeat(70 * 1024) };
    const answer = await post(`${server.url}/account/register/`, big);
    assert.deepEqual([answer.status, answer.body], [413, { detail: "Request body exceeded 65536 bytes." }]);
  });

  it("serves /healthz", async () => {
    const response = await fetch(`${server.url}/healthz`);
    assert.deepEqual([response.status, await response.json()], [200, { status: "ok" }]);
  });

  it("logs one line per request without bodies, passwords or tokens", async () => {
    lines.length = 0;
    const username = uniqueName();
    const { body } = await post(`${server.url}/account/register/`, registration(username, "pw-visible-nowhere"));
    const token = (body as { token: string }).token;
    await post(`${server.url}/account/logout/?token=${token}`, undefined, { authorization: `Token ${token}` });
    assert.deepEqual(
      lines.map((line) => line.replace(/ [\d.]+ms$/, "")),
      ["POST /account/register/ 201", "POST /account/logout/ 200"],
    );
    const all = lines.join("\n");
    for (const secret of [token, "pw-visible-nowhere", username]) assert.ok(!all.includes(secret), "a secret leaked into the log");
  });
});

describe("when the database fails", () => {
  it("answers 500 with a generic detail and no stack trace, and /healthz says 503", async () => {
    const lines: string[] = [];
    const server = await startInProcess({ log: { info: () => {}, error: (line) => lines.push(line) } });
    try {
      await server.store.close();
      const answer = await post(`${server.url}/account/login/`, { username: "a", password: "b" });
      assert.deepEqual([answer.status, answer.body], [500, { detail: "A server error occurred." }]);
      assert.match(lines.join("\n"), /database connection is not open/);
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 503);
    } finally {
      await server.close();
    }
  });
});

async function deactivate(server: InProcessServer, userId: number): Promise<void> {
  await setActive(server.store.database, userId, false);
}
