import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AUTHCTL, configDir, openCliSetup, registerDirectly, runCli, type CliSetup, type TestServer } from "../helpers/cli.js";
import { startHungBus } from "../helpers/hung-bus.js";

/** The keychain timeout these tests configure, in seconds. */
const TIMEOUT_S = 1;
/**
 * What a command may take beyond the keychain timeouts it waits: starting node twice (the CLI and its
 * keychain child) on a machine busy with other tests. Generous, so a loaded machine never fails the
 * test; far below a hang.
 */
const SLACK_MS = 20_000;

describe("a session bus that accepts connections and never answers", () => {
  let setup: CliSetup;
  let server: TestServer;
  let bus: Awaited<ReturnType<typeof startHungBus>>;
  let env: Record<string, string>;
  before(async () => {
    setup = await openCliSetup();
    server = setup.server;
    bus = await startHungBus();
    env = { ...setup.env, DBUS_SESSION_BUS_ADDRESS: bus.address, AUTHCTL_KEYCHAIN_TIMEOUT: String(TIMEOUT_S) };
  });
  after(async () => {
    await bus.close();
    await setup.close();
  });

  it("cannot hang login: the token falls back to the credentials file with a warning", async (t) => {
    const { username } = await registerDirectly(server.url);
    const started = Date.now();
    const login = await runCli(["login", "-u", username, "--password-stdin"], { env, input: "s3cret-pw" });
    const took = Date.now() - started;
    t.diagnostic(`login took ${took} ms with a ${TIMEOUT_S} s keychain timeout`);
    assert.equal(login.exitCode, 0, login.stderr);
    assert.match(
      login.stderr,
      /warning: token stored in plaintext in .*credentials\.json: no OS keychain available \(no answer within 1s\)/,
    );
    assert.ok(took < TIMEOUT_S * 1000 + SLACK_MS, `login took ${took} ms: more than one keychain timeout and ${SLACK_MS} ms of slack`);
    assert.equal((await runCli(["token", "-u", username], { env })).exitCode, 0);
  });

  // With a 1 s timeout, a loaded machine may kill the keychain helper before it even reaches the bus;
  // that the hang is the bus's is shown here, with a timeout no machine reaches, ended once it connects.
  it("is where the keychain waits: the helper connects to the bus and gets no answer", async () => {
    const { username } = await registerDirectly(server.url);
    const connected = bus.nextConnection();
    const child = spawn(process.execPath, [AUTHCTL, "login", "-u", username, "--password-stdin"], {
      env: { ...process.env, ...env, AUTHCTL_KEYCHAIN_TIMEOUT: "600" },
      stdio: ["pipe", "ignore", "ignore"],
    });
    child.stdin.end("s3cret-pw");
    let exited = false;
    child.on("exit", () => (exited = true));
    try {
      await Promise.race([connected, once(child, "exit")]);
      assert.equal(exited, false, "login ended before its keychain helper reached the bus");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("cannot hang reads: token, status and logout of a keychain account exit with the unlock hint", async (t) => {
    const username = "kept-in-keychain";
    const stored = {
      version: 2,
      current: server.url,
      servers: [{ url: server.url, active: username, lastUsed: 1, accounts: [{ username, storage: "keychain" }] }],
    };
    const local = await configDir();
    try {
      await writeFile(join(local.path, "config.json"), JSON.stringify(stored), { mode: 0o600 });
      const localEnv = { ...env, AUTHCTL_CONFIG_DIR: local.path };
      for (const [args, code] of [
        [["token"], 5],
        [["logout"], 5],
        [["status"], 1],
      ] as const) {
        const started = Date.now();
        const result = await runCli([...args], { env: localEnv });
        const took = Date.now() - started;
        t.diagnostic(`${args.join(" ")} took ${took} ms`);
        assert.ok(
          took < TIMEOUT_S * 1000 + SLACK_MS,
          `${args.join(" ")} took ${took} ms: more than one keychain timeout and ${SLACK_MS} ms of slack`,
        );
        assert.equal(result.exitCode, code, result.stderr);
        if (code === 5) assert.match(result.stderr, /no answer within 1s\nhint: unlock the OS keyring.*--insecure-storage/);
        else assert.match(result.stdout, /✗ could not read the token: .*no answer within 1s/);
      }
    } finally {
      await local.remove();
    }
  });
});
