import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { configDir, keyringSkipReason, runCli, startTestServer, type TestServer } from "../helpers/cli.js";
import { secretToolLookup } from "../helpers/keyring.js";
import { uniqueName } from "../helpers/temp.js";
import { assertDifferentSecret, assertSameSecret, assertTokenShape } from "../helpers/secrets.js";

describe("authctl with the OS keychain", { skip: keyringSkipReason() }, () => {
  let server: TestServer;
  before(async () => (server = await startTestServer()));
  after(() => server.close());

  it("registers, checks, prints, re-logs in and logs out, keeping the token only in the keychain", async () => {
    const config = await configDir();
    const env = { AUTHCTL_CONFIG_DIR: config.path };
    const username = uniqueName("ada");
    try {
      const registered = await runCli(
        ["register", "--url", server.url, "-u", username, "-e", `${username}@example.com`, "--password-stdin"],
        {
          env,
          input: "s3cret-pw\n",
        },
      );
      assert.equal(registered.exitCode, 0, registered.stderr);
      assert.match(registered.stderr, new RegExp(`Registered ${username} at ${server.url}; token stored in the OS keychain`));

      const token = secretToolLookup(server.url, username);
      assertTokenShape(token, "the keychain entry");
      for (const file of await readdir(config.path)) {
        assert.ok(!(await readFile(join(config.path, file), "utf8")).includes(token), `${file} holds the token`);
      }
      assert.ok(!registered.stdout.includes(token) && !registered.stderr.includes(token), "register printed the token");

      const status = await runCli(["status"], { env });
      assert.equal(status.exitCode, 0, status.stderr);
      assert.match(
        status.stdout,
        new RegExp(
          `${server.url} \\(current server\\)\\n  ${username} \\(active\\)\\n    token in the OS keychain\\n    ✓ token accepted by the server`,
        ),
      );

      const printed = await runCli(["token"], { env });
      assert.equal(printed.exitCode, 0);
      assertSameSecret(printed.stdout, `${token}\n`, "authctl token output");

      const login = await runCli(["login", "-u", username, "--password-stdin"], { env, input: "s3cret-pw" });
      assert.equal(login.exitCode, 0, login.stderr);
      assertSameSecret(secretToolLookup(server.url, username), token, "login must return the token issued at registration");

      const logout = await runCli(["logout"], { env });
      assert.equal(logout.exitCode, 0, logout.stderr);
      assert.match(logout.stderr, new RegExp(`Logged out of ${server.url} as ${username}`));
      assert.equal(secretToolLookup(server.url, username), "");

      const none = await runCli(["status"], { env });
      assert.equal(none.exitCode, 4);
      assert.match(none.stderr, /not logged in to any server/);

      const relogin = await runCli(["login", "-u", username, "--password-stdin"], { env, input: "s3cret-pw" });
      assert.equal(relogin.exitCode, 0, relogin.stderr);
      assertDifferentSecret(secretToolLookup(server.url, username), token, "logout must have revoked the old token");
    } finally {
      await config.remove();
    }
  });

  it("keeps several accounts per server and switches the active one", async () => {
    const config = await configDir();
    const env = { AUTHCTL_CONFIG_DIR: config.path, AUTHCTL_URL: server.url };
    const [ada, grace] = [uniqueName("ada"), uniqueName("grace")];
    try {
      for (const name of [ada, grace]) {
        const result = await runCli(["register", "-u", name, "-e", `${name}@example.com`, "--password-stdin"], { env, input: "pw" });
        assert.equal(result.exitCode, 0, result.stderr);
      }
      const graceToken = (await runCli(["token"], { env })).stdout.trim();
      assertSameSecret(graceToken, secretToolLookup(server.url, grace), "grace's token");

      const switched = await runCli(["switch", "-u", ada], { env });
      assert.equal(switched.exitCode, 0, switched.stderr);
      assertSameSecret(
        (await runCli(["token"], { env })).stdout.trim(),
        secretToolLookup(server.url, ada),
        "the active token after switch",
      );
      assertSameSecret((await runCli(["token", "-u", grace], { env })).stdout.trim(), graceToken, "token -u grace");

      const unknown = await runCli(["switch", "-u", "nobody"], { env });
      assert.equal(unknown.exitCode, 4);
      assert.match(unknown.stderr, new RegExp(`no stored account nobody at ${server.url} \\(stored: ${ada}, ${grace}\\)`));
      const other = await runCli(["switch"], { env });
      assert.equal(other.exitCode, 0, "with exactly two accounts, switch takes the other one");
      assert.match(other.stderr, new RegExp(`Switched to ${grace} at ${server.url}`));
      assertSameSecret((await runCli(["token"], { env })).stdout.trim(), graceToken, "the active token after switching back");
    } finally {
      await config.remove();
    }
  });

  it("chooses the plaintext file on purpose with --insecure-storage, and status says so", async () => {
    const config = await configDir();
    const env = { AUTHCTL_CONFIG_DIR: config.path, AUTHCTL_URL: server.url };
    const username = uniqueName("file");
    try {
      const result = await runCli(["register", "-u", username, "-e", `${username}@example.com`, "--password-stdin", "--insecure-storage"], {
        env,
        input: "pw",
      });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stderr, /warning: token stored in plaintext in .*credentials\.json: --insecure-storage was given/);
      assert.equal(secretToolLookup(server.url, username), "");
      const status = await runCli(["status"], { env });
      assert.match(status.stdout, /token in .*credentials\.json \(plaintext\)\n/);
      assert.equal(status.stdout.split("plaintext").length, 2, "plaintext is said once");
    } finally {
      await config.remove();
    }
  });
});
