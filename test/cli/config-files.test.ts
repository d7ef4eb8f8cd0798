import assert from "node:assert/strict";
import { chmod, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { runLogin } from "../../packages/cli/src/commands/login.js";
import { runLogout } from "../../packages/cli/src/commands/logout.js";
import { runToken } from "../../packages/cli/src/commands/token.js";
import { ExitCode, StorageFailed } from "../../packages/cli/src/errors.js";
import { assertSameSecret } from "../helpers/secrets.js";
import { fakeConfigDir, FakeApi, fakeContext, MemoryKeychain, type FakeSetup } from "../helpers/fakes.js";

const URL_A = "http://127.0.0.1:8101";

describe("config and credentials files", () => {
  let dir: Awaited<ReturnType<typeof fakeConfigDir>>;
  let api: FakeApi;
  let keychain: MemoryKeychain;
  const run = (setup: FakeSetup = {}) => fakeContext({ dir: dir.path, api, keychain, ...setup });
  const login = (username: string, insecureStorage = false) =>
    runLogin({ url: URL_A, username, passwordStdin: true, insecureStorage }, run({ stdin: "pw" }).ctx);
  const storageError = (pattern: RegExp, hint?: RegExp) => (error: unknown) => {
    assert.ok(error instanceof StorageFailed, String(error));
    assert.equal(error.exitCode, ExitCode.storage);
    assert.match(error.message, pattern);
    if (hint) assert.match(error.hint ?? "", hint);
    return true;
  };

  beforeEach(async () => {
    dir = await fakeConfigDir();
    api = new FakeApi();
    keychain = new MemoryKeychain();
  });
  afterEach(() => dir.remove());

  it("keeps usernames that are object prototype keys, in the config and the credentials file", async () => {
    for (const name of ["__proto__", "constructor", "toString"]) api.addUser(name);
    await login("__proto__");
    await login("constructor", true);
    await login("toString", true);
    const accounts = await run().ctx.tokens.list();
    assert.deepEqual(accounts.map((account) => account.username).sort(), ["__proto__", "constructor", "toString"]);
    const printed = run();
    await runToken({ username: "constructor" }, printed.ctx);
    assertSameSecret(printed.stdout(), `${api.tokenOf("constructor") ?? ""}\n`, "the printed token of constructor");
    await runLogout({ username: "__proto__" }, run().ctx);
    await runLogout({ username: "constructor" }, run().ctx);
    assert.ok(api.tokenOf("__proto__") === undefined, "the __proto__ token was not revoked");
    assert.deepEqual(
      (await run().ctx.tokens.list()).map((account) => account.username),
      ["toString"],
    );
  });

  it("refuses a config file of the wrong shape with exit 5, never echoing its contents", async () => {
    await writeFile(join(dir.path, "config.json"), JSON.stringify({ version: 2, servers: [{ url: "sekrit-value", accounts: 7 }] }), {
      mode: 0o600,
    });
    await assert.rejects(runToken({}, run().ctx), (error: unknown) => {
      storageError(/config\.json is not a valid config file/, /fix or remove the file/)(error);
      assert.ok(error instanceof Error && !error.message.includes("sekrit"));
      return true;
    });
    await writeFile(join(dir.path, "config.json"), "{ not json sekrit", { mode: 0o600 });
    await assert.rejects(runToken({}, run().ctx), storageError(/config\.json is not valid JSON/));
  });

  it("refuses a symlinked config file, naming the path and the fix", async () => {
    await writeFile(join(dir.path, "elsewhere.json"), JSON.stringify({ version: 2, servers: [] }), { mode: 0o600 });
    await symlink(join(dir.path, "elsewhere.json"), join(dir.path, "config.json"));
    await assert.rejects(login("ada"), storageError(/config\.json is a symbolic link/, /replace the link with a regular file/));
    assert.equal(
      await readFile(join(dir.path, "elsewhere.json"), "utf8"),
      JSON.stringify({ version: 2, servers: [] }),
      "the link target was written",
    );
  });

  it("refuses config and credentials files other users may write", async () => {
    api.addUser("ada");
    await login("ada", true);
    await chmod(join(dir.path, "credentials.json"), 0o620);
    await assert.rejects(runToken({}, run().ctx), storageError(/credentials\.json is writable by other users/, /chmod 600 /));
    await chmod(join(dir.path, "config.json"), 0o666);
    await assert.rejects(runToken({}, run().ctx), storageError(/config\.json is writable by other users/));
  });

  it("reads the first release's config and credentials files and rewrites them", async () => {
    const token = "f".repeat(40);
    await writeFile(
      join(dir.path, "config.json"),
      JSON.stringify({ lastUrl: URL_A, hosts: { [URL_A]: { active: "ada", users: { ada: { storage: "file" } } } } }),
      { mode: 0o600 },
    );
    await writeFile(join(dir.path, "credentials.json"), JSON.stringify({ [`authctl:${URL_A}`]: { ada: token } }), { mode: 0o600 });
    const printed = run();
    await runToken({}, printed.ctx);
    assertSameSecret(printed.stdout(), `${token}\n`, "the token from the old credentials file");
    api.addUser("grace");
    await login("grace", true);
    const config = JSON.parse(await readFile(join(dir.path, "config.json"), "utf8")) as { version: number; current: string };
    assert.deepEqual([config.version, config.current], [2, URL_A]);
    assert.equal((await stat(join(dir.path, "credentials.json"))).mode & 0o777, 0o600);
  });
});
