import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { runApi } from "../../packages/cli/src/commands/api.js";
import { runLogin } from "../../packages/cli/src/commands/login.js";
import { runLogout } from "../../packages/cli/src/commands/logout.js";
import { runRegister } from "../../packages/cli/src/commands/register.js";
import { runStatus } from "../../packages/cli/src/commands/status.js";
import { runToken } from "../../packages/cli/src/commands/token.js";
import { RequestFailed, ServerRefused, ServerUnreachable, StorageFailed } from "../../packages/cli/src/errors.js";
import { jsonObject } from "../helpers/json.js";
import { assertSameSecret } from "../helpers/secrets.js";
import { fakeConfigDir, FakeApi, fakeContext, MemoryKeychain, type FakeSetup } from "../helpers/fakes.js";

const URL_A = "http://127.0.0.1:8101";

describe("commands in process, with fakes", () => {
  let dir: Awaited<ReturnType<typeof fakeConfigDir>>;
  let api: FakeApi;
  let keychain: MemoryKeychain;
  const run = (setup: FakeSetup = {}) => fakeContext({ dir: dir.path, api, keychain, ...setup });

  beforeEach(async () => {
    dir = await fakeConfigDir();
    api = new FakeApi();
    keychain = new MemoryKeychain();
  });
  afterEach(() => dir.remove());

  it("checks the server answers before asking for anything", async () => {
    api.down.add(URL_A);
    const out = run({ answers: ["ada", "pw"] });
    await assert.rejects(runLogin({ url: URL_A }, out.ctx), ServerUnreachable);
    assert.deepEqual(out.prompter.asked, [], "nothing was asked");
    assert.match(out.stderr(), new RegExp(`^Logging in to ${URL_A}\\n`));
  });

  it("asks both passwords again when they differ at the terminal, then sends both", async () => {
    const out = run({ answers: ["ada", "ada@example.com", "one", "two", "same", "same"] });
    await runRegister({ url: URL_A }, out.ctx);
    assert.deepEqual(out.prompter.asked, ["Username", "Email", "Password", "Password (again)", "Password", "Password (again)"]);
    assert.match(out.stderr(), /warning: the passwords differ; try again/);
    assert.equal(api.users.get("ada")?.password, "same");
  });

  it("gives three tries, asking the username and password again with the attempt count", async () => {
    api.addUser("ada", "right");
    const third = run({ answers: ["adda", "right", "ada", "wrong", "ada", "right"] });
    await runLogin({ url: URL_A }, third.ctx);
    assert.equal((third.stderr().match(/error: wrong username or password/g) ?? []).length, 2);
    assert.deepEqual(third.prompter.asked, [
      "Username",
      "Password",
      "Username (attempt 2 of 3)",
      "Password (attempt 2 of 3)",
      "Username (attempt 3 of 3)",
      "Password (attempt 3 of 3)",
    ]);
    const named = run({ answers: ["a", "b", "c"] });
    await assert.rejects(runLogin({ url: URL_A, username: "ada" }, named.ctx), ServerRefused);
    assert.deepEqual(named.prompter.asked, ["Password", "Password (attempt 2 of 3)", "Password (attempt 3 of 3)"]);
  });

  it("with --no-store prints the token and keeps nothing", async () => {
    api.addUser("ada");
    const out = run({ stdin: "pw" });
    await runLogin({ url: URL_A, username: "ada", passwordStdin: true, store: false }, out.ctx);
    assertSameSecret(out.stdout(), `${api.tokenOf("ada") ?? ""}\n`, "the printed token of ada");
    assert.equal(keychain.entries.size, 0);
    assert.deepEqual(await out.ctx.tokens.list(), []);
  });

  it("with --with-token checks the token and keeps it under the name the server gives", async () => {
    api.addUser("ada");
    const { token } = await api.login(URL_A, "ada", "pw");
    const out = run({ stdin: `${token}\n`, json: true });
    await runLogin({ url: URL_A, withToken: true }, out.ctx);
    assert.deepEqual(JSON.parse(out.stdout()), { url: URL_A, username: "ada", storage: "keychain" });
    assertSameSecret([...keychain.entries.values()].join(","), token, "the keychain entries");
    await assert.rejects(runLogin({ url: URL_A, withToken: true }, run({ stdin: "0".repeat(40) }).ctx), ServerRefused);
    api.hasMe = false;
    await assert.rejects(runLogin({ url: URL_A, withToken: true }, run({ stdin: token }).ctx), /--username is required with --with-token/);
  });

  it("says AUTHCTL_TOKEN overrides storage and keeps the JSON keys of a stored token", async () => {
    api.addUser("ada");
    await runLogin({ url: URL_A, username: "ada", passwordStdin: true }, run({ stdin: "pw" }).ctx);
    const stored = run({ json: true });
    await runToken({}, stored.ctx);
    const fromEnv = run({ json: true, env: { AUTHCTL_TOKEN: "abc" } });
    await runToken({}, fromEnv.ctx);
    assert.deepEqual(Object.keys(jsonObject(fromEnv.stdout())), Object.keys(jsonObject(stored.stdout())));
    assert.match(fromEnv.stderr(), /notice: using the token from AUTHCTL_TOKEN, not the stored one/);
    const envLogout = run({ json: true, env: { AUTHCTL_TOKEN: "abc" } });
    await runLogout({}, envLogout.ctx);
    const storedLogout = run({ json: true });
    await runLogout({}, storedLogout.ctx);
    assert.deepEqual(Object.keys(jsonObject(envLogout.stdout())), Object.keys(jsonObject(storedLogout.stdout())));
    const status = run({ json: true, env: { AUTHCTL_TOKEN: "abc" } });
    await runStatus({}, status.ctx);
    assert.match(status.stderr(), /notice: using the token from AUTHCTL_TOKEN/);
  });

  it("logout --local forgets the token without revoking it", async () => {
    api.addUser("ada");
    await runLogin({ url: URL_A, username: "ada", passwordStdin: true }, run({ stdin: "pw" }).ctx);
    const token = api.tokenOf("ada");
    const out = run();
    await runLogout({ local: true }, out.ctx);
    assert.ok(!api.calls.some((call) => call.startsWith("logout")), "the server was asked to revoke");
    assertSameSecret(api.tokenOf("ada"), token ?? "", "the token on the server");
    assert.equal(keychain.entries.size, 0);
    assert.match(out.stderr(), /locally; it stays valid on the server/);
  });

  it("exits 5 with a hint when the keychain cannot be read", async () => {
    api.addUser("ada");
    await runLogin({ url: URL_A, username: "ada", passwordStdin: true }, run({ stdin: "pw" }).ctx);
    keychain.broken = "no answer within 1s";
    await assert.rejects(
      runToken({}, run().ctx),
      (error: unknown) => error instanceof StorageFailed && /unlock the OS keyring.*--insecure-storage/.test(error.hint ?? ""),
    );
  });

  it("authctl api sends the current token, fields as JSON, and fails on non-2xx with the body", async () => {
    api.addUser("ada");
    await runLogin({ url: URL_A, username: "ada", passwordStdin: true }, run({ stdin: "pw" }).ctx);
    api.answers.set("POST /things/", { status: 201, contentType: "application/json", body: '{"id":1}' });
    const out = run();
    await runApi("things/", { field: ["name=box", "__proto__=x"] }, out.ctx);
    assert.equal(out.stdout(), '{"id":1}');
    const sent = api.requests[0];
    assert.deepEqual([sent?.method, sent?.path, sent?.token === api.tokenOf("ada")], ["POST", "/things/", true]);
    assert.deepEqual(Object.entries(JSON.parse(sent?.body ?? "") as object), [
      ["name", "box"],
      ["__proto__", "x"],
    ]);
    await assert.rejects(
      runApi("/missing/", {}, run().ctx),
      (error: unknown) => error instanceof RequestFailed && error.status === 404 && error.body.includes("Not found."),
    );
  });

  it("authctl api hints at the trailing slash after a redirect, and at logging in again after a 401", async () => {
    api.addUser("ada");
    await runLogin({ url: URL_A, username: "ada", passwordStdin: true }, run({ stdin: "pw" }).ctx);
    api.answers.set("GET /account/me", { status: 301, contentType: "text/html", body: "" });
    await assert.rejects(runApi("account/me", {}, run().ctx), (error: unknown) => {
      assert.ok(error instanceof RequestFailed);
      assert.equal(error.hint, "Django redirects to the path with a trailing slash: authctl api /account/me/");
      return true;
    });
    api.answers.set("GET /orders/", { status: 401, contentType: "application/json", body: '{"detail":"Invalid token."}' });
    await assert.rejects(runApi("/orders/", {}, run().ctx), {
      hint: `the server no longer accepts the token of ada; log in again: authctl login --url ${URL_A} --username ada`,
    });
    await assert.rejects(runApi("/orders/", {}, run({ env: { AUTHCTL_TOKEN: "0".repeat(40) } }).ctx), {
      hint: /set it to a valid token, or unset it/,
    });
  });

  it("strips escape sequences from what the server says", async () => {
    const { refusal } = await import("../../packages/cli/src/refusals.js");
    const hostile = refusal({ username: ["\u001b]8;;http://evil\u0007click\u001b]8;;\u0007 \u001b[2J\u001b[31mred\u009b\u202e"] });
    assert.equal(hostile.human, "username: click red");
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(hostile.message));
  });

  // Shapes that make a backtracking escape pattern quadratic or worse; a linear sanitizer takes
  // milliseconds on a megabyte of each, a quadratic one minutes (the test's timeout ends it).
  it("sanitizes a megabyte of escape-like text in linear time", { timeout: 60_000 }, async () => {
    const { sanitize } = await import("../../packages/cli/src/text.js");
    const size = 1_000_000;
    for (const unit of ["\u001b;?", "\u001b[;", "\u001b]a;", "\u009b0;", "\u001b[1;", ";?"]) {
      const hostile = `\u001b${unit.repeat(size / unit.length)}x`;
      assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(sanitize(hostile)), `a control character survived in ${JSON.stringify(unit)}×`);
    }
    assert.equal(sanitize("a\u2028b\u2029c\u061cd"), "abcd");
  });
});
