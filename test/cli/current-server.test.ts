import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { runLogin } from "../../packages/cli/src/commands/login.js";
import { runLogout } from "../../packages/cli/src/commands/logout.js";
import { runStatus } from "../../packages/cli/src/commands/status.js";
import { runSwitch } from "../../packages/cli/src/commands/switch.js";
import { runToken } from "../../packages/cli/src/commands/token.js";
import { NotLoggedIn, UsageError } from "../../packages/cli/src/errors.js";
import { jsonObject, statusRows } from "../helpers/json.js";
import { assertSameSecret } from "../helpers/secrets.js";
import { fakeConfigDir, FakeApi, fakeContext, MemoryKeychain } from "../helpers/fakes.js";

const A = "http://127.0.0.1:8101";
const B = "http://127.0.0.1:8102";
const C = "https://c.example.com";

describe("the current server, in process", () => {
  let dir: Awaited<ReturnType<typeof fakeConfigDir>>;
  let api: FakeApi;
  let keychain: MemoryKeychain;
  const run = (setup: { answers?: string[]; env?: NodeJS.ProcessEnv; json?: boolean } = {}) =>
    fakeContext({ dir: dir.path, api, keychain, ...setup });
  const login = async (url: string, username: string) => {
    api.addUser(username);
    await runLogin({ url, username, passwordStdin: true }, fakeContext({ dir: dir.path, api, keychain, stdin: "pw" }).ctx);
  };

  beforeEach(async () => {
    dir = await fakeConfigDir();
    api = new FakeApi();
    keychain = new MemoryKeychain();
  });
  afterEach(() => dir.remove());

  it("is set by the last login, and commands without --url go there", async () => {
    await login(A, "ada");
    await login(B, "linus");
    const printed = run();
    await runToken({}, printed.ctx);
    assertSameSecret(printed.stdout(), `${api.tokenOf("linus") ?? ""}\n`, "the printed token of linus");
  });

  it("finds -u NAME on whichever server holds it", async () => {
    await login(A, "ada");
    await login(B, "linus");
    const printed = run();
    await runToken({ username: "ada" }, printed.ctx);
    assertSameSecret(printed.stdout(), `${api.tokenOf("ada") ?? ""}\n`, "the printed token of ada");
  });

  it("refuses -u NAME held by several servers, listing them", async () => {
    await login(A, "ada");
    await login(B, "ada");
    await assert.rejects(runToken({ username: "ada" }, run().ctx), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, new RegExp(`ada is stored for several servers: ${B}, ${A}`));
      assert.match(error.hint ?? "", /--url/);
      return true;
    });
    await assert.rejects(runToken({ username: "nobody" }, run().ctx), NotLoggedIn);
  });

  it("stays put when the current server loses its last account, so the next login goes there too", async () => {
    await login(A, "ada");
    await login(B, "linus");
    const out = run({ json: true });
    await runLogout({}, out.ctx);
    assert.deepEqual(jsonObject(out.stdout()).current, { url: B, username: null });

    const needs = run();
    await assert.rejects(runToken({}, needs.ctx), (error: unknown) => {
      assert.ok(error instanceof NotLoggedIn);
      assert.equal(error.message, `not logged in to ${B}`);
      assert.match(error.hint ?? "", new RegExp(`^authctl login --url ${B.replace(/\./g, "\\.")}`));
      return true;
    });

    await login(B, "carol");
    const printed = run();
    await runToken({}, printed.ctx);
    assertSameSecret(printed.stdout(), `${api.tokenOf("carol") ?? ""}\n`, "the printed token of carol");
    assert.deepEqual(
      (await run().ctx.tokens.list()).map(({ url, username }) => `${username} at ${url}`),
      [`carol at ${B}`, `ada at ${A}`],
    );
  });

  it("says the current server stays, and how to log in there, when its last account logs out", async () => {
    await login(A, "ada");
    await login(B, "linus");
    const human = run();
    await runLogout({}, human.ctx);
    const b = B.replace(/\./g, "\\.");
    assert.match(
      human.stderr(),
      new RegExp(
        `Logged out of ${b} as linus; the token is revoked \\(on a server with one token per user, for every client of this account\\)\\n${b} stays the current server, with no account now; log in there with: authctl login --url ${b}, or authctl switch to a stored account on another server\\n`,
      ),
    );
    assert.doesNotMatch(human.stderr(), /Current server is now/);
    await runSwitch({}, run().ctx);
    const printed = run();
    await runToken({}, printed.ctx);
    assertSameSecret(printed.stdout(), `${api.tokenOf("ada") ?? ""}\n`, "the printed token of ada");
  });

  it("says which account became active when the active one logs out", async () => {
    await login(A, "ada");
    await login(A, "grace");
    const out = run();
    await runLogout({}, out.ctx);
    assert.match(out.stderr(), new RegExp(`Active account at ${A.replace(/\./g, "\\.")} is now ada`));
  });

  it("switches directly when exactly two accounts exist, and asks otherwise with the current one marked", async () => {
    await login(A, "ada");
    await login(B, "linus");
    const direct = run();
    await runSwitch({}, direct.ctx);
    assert.deepEqual(direct.prompter.asked, []);
    assert.match(direct.stderr(), new RegExp(`Switched to ada at ${A.replace(/\./g, "\\.")}`));

    await login(C, "grace");
    const asked = run({ answers: ["2"] });
    await runSwitch({}, asked.ctx);
    const names = asked.prompter.choices[0]?.map((choice) => choice.name);
    assert.deepEqual(names, [`grace at ${C} (current)`, `ada at ${A}`, `linus at ${B}`]);
    const printed = run();
    await runToken({}, printed.ctx);
    assertSameSecret(printed.stdout(), `${api.tokenOf("linus") ?? ""}\n`, "the printed token of linus");
  });

  it("lists the current server first and marks it in status", async () => {
    await login(A, "ada");
    await login(B, "linus");
    const out = run();
    assert.equal(await runStatus({}, out.ctx), 0);
    assert.match(out.stdout(), new RegExp(`^${B} \\(current server\\)\\n  linus \\(active\\)[^]*\\n${A}\\n  ada \\(active\\)`));
  });

  it("checks tokens on servers without /account/me/ too", async () => {
    api.hasMe = false;
    await login(A, "ada");
    const out = run({ json: true });
    assert.equal(await runStatus({}, out.ctx), 0);
    assert.equal(statusRows(out.stdout())[0]?.state, "accepted");
    const user = api.users.get("ada");
    if (user) delete user.token;
    const rejected = run();
    assert.equal(await runStatus({}, rejected.ctx), 1);
    assert.match(
      rejected.stdout(),
      new RegExp(`✗ token rejected by the server: Invalid token\\.\\n    fix: authctl login --url ${A} --username ada`),
    );
  });
});
