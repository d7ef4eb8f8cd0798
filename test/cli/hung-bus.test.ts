import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { configDir, openCliSetup, registerDirectly, runCli, type CliSetup, type TestServer } from "../helpers/cli.js";
import { startHungBus } from "../helpers/hung-bus.js";

describe("a session bus that accepts connections and never answers", () => {
  let setup: CliSetup;
  let server: TestServer;
  let bus: Awaited<ReturnType<typeof startHungBus>>;
  let env: Record<string, string>;
  before(async () => {
    setup = await openCliSetup();
    server = setup.server;
    bus = await startHungBus();
    env = { ...setup.env, DBUS_SESSION_BUS_ADDRESS: bus.address, AUTHCTL_KEYCHAIN_TIMEOUT: "1" };
  });
  after(async () => {
    await bus.close();
    await setup.close();
  });

  it("cannot hang login: the token falls back to the credentials file with a warning", async (t) => {
    const { username } = await registerDirectly(server.url);
    const started = Date.now();
    const login = await runCli(["login", "-u", username, "--password-stdin"], { env, input: "s3cret-pw" });
    t.diagnostic(`login took ${Date.now() - started} ms with a 1 s keychain timeout`);
    assert.equal(login.exitCode, 0, login.stderr);
    assert.match(login.stderr, /warning: token stored in plaintext in .*credentials\.json: no OS keychain available \(no answer within 1s\)/);
    assert.ok(bus.connections() > 0, "the keychain never tried the bus");
    assert.equal((await runCli(["token", "-u", username], { env })).exitCode, 0);
  });

  it("cannot hang reads: token, status and logout of a keychain account exit with the unlock hint", async (t) => {
    const username = "kept-in-keychain";
    const stored = { version: 2, current: server.url, servers: [{ url: server.url, active: username, lastUsed: 1, accounts: [{ username, storage: "keychain" }] }] };
    const local = await configDir();
    try {
      await writeFile(join(local.path, "config.json"), JSON.stringify(stored), { mode: 0o600 });
      const localEnv = { ...env, AUTHCTL_CONFIG_DIR: local.path };
      for (const [args, code] of [[["token"], 5], [["logout"], 5], [["status"], 1]] as const) {
        const started = Date.now();
        const result = await runCli([...args], { env: localEnv });
        t.diagnostic(`${args.join(" ")} took ${Date.now() - started} ms`);
        assert.equal(result.exitCode, code, result.stderr);
        if (code === 5) assert.match(result.stderr, /no answer within 1s\nhint: unlock the OS keyring.*--insecure-storage/);
        else assert.match(result.stdout, /✗ could not read the token: .*no answer within 1s/);
      }
    } finally {
      await local.remove();
    }
  });
});
