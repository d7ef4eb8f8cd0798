import assert from "node:assert/strict";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { configDir, openCliSetup, registerDirectly, runCli, type TestServer } from "../helpers/cli.js";
import { post } from "../helpers/http.js";
import { uniqueName } from "../helpers/temp.js";
import { statusRows, tokenJson } from "../helpers/json.js";
import { assertSameSecret, assertTokenShape } from "../helpers/secrets.js";

// File storage keeps these tests independent of the keychain; the keychain has its own tests.
const FILE = "--insecure-storage";

describe("authctl errors and scripting", () => {
  let server: TestServer;
  let env: Record<string, string>;
  let close: () => Promise<void>;
  before(async () => ({ server, env, close } = await openCliSetup()));
  after(() => close());

  it("exits 1 for a duplicate username, said plainly, with a hint to log in instead", async () => {
    const { username } = await registerDirectly(server.url);
    const result = await runCli(["register", "-u", username, "-e", `${uniqueName()}@example.com`, "--password-stdin", FILE], {
      env,
      input: "pw",
    });
    assert.equal(result.exitCode, 1);
    assert.match(
      result.stderr,
      new RegExp(`error: username: that username is taken\nhint: if the account is yours, log in instead: authctl login -u ${username}\n`),
    );
  });

  it("exits 1 for wrong credentials, keeping DRF's words in --json details", async () => {
    const { username } = await registerDirectly(server.url);
    const result = await runCli(["login", "-u", username, "--password-stdin", FILE], { env, input: "wrong" });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /error: wrong username or password\nhint: /);
    const json = await runCli(["login", "-u", username, "--password-stdin", "--json", FILE], { env, input: "wrong" });
    assert.equal(json.exitCode, 1);
    assert.deepEqual(JSON.parse(json.stdout), {
      error: {
        code: "server_refused",
        message: "Unable to log in with provided credentials.",
        details: { non_field_errors: ["Unable to log in with provided credentials."] },
      },
    });
  });

  it("exits 3 with a hint when the server cannot be reached", async () => {
    const result = await runCli(["login", "--url", "http://127.0.0.1:9", "-u", "ada", "--password-stdin"], { env, input: "pw" });
    assert.equal(result.exitCode, 3);
    assert.match(result.stderr, /error: cannot reach http:\/\/127\.0\.0\.1:9: connection refused\nhint: /);
  });

  it("fails at once, naming the flag, when a value is missing and there is no terminal", async () => {
    const register = await runCli(["register", "--password-stdin"], { env, input: "pw" });
    assert.equal(register.exitCode, 2);
    assert.match(register.stderr, /error: --username is required when not running in a terminal/);
    const login = await runCli(["login", "-u", "ada"], { env });
    assert.equal(login.exitCode, 2);
    assert.match(login.stderr, /error: --password-stdin is required when not running in a terminal/);
  });

  it("refuses to send a password over plain HTTP to another machine", async () => {
    const result = await runCli(["login", "--url", "http://api.example.invalid", "-u", "ada", "--password-stdin"], { env, input: "pw" });
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /refusing to send a password over plain HTTP to api\.example\.invalid\nhint: .*--insecure-http/);
    const allowed = await runCli(["login", "--url", "http://api.example.invalid", "-u", "ada", "--password-stdin", "--insecure-http"], {
      env,
      input: "pw",
    });
    assert.equal(allowed.exitCode, 3, "with --insecure-http it tries, and cannot reach the host");
  });

  it("prints parseable JSON for results and errors, with the same exit codes", async () => {
    const username = uniqueName("json");
    const ok = await runCli(["register", "-u", username, "-e", `${username}@example.com`, "--password-stdin", "--json", FILE], {
      env,
      input: "pw",
    });
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { url: server.url, username, email: `${username}@example.com`, storage: "file" });

    const refused = await runCli(["register", "-u", username, "-e", "bad", "--password-stdin", "--json", FILE], { env, input: "pw" });
    assert.equal(refused.exitCode, 1);
    assert.deepEqual(JSON.parse(refused.stdout), {
      error: {
        code: "server_refused",
        message: "username: A user with that username already exists.\nemail: Enter a valid email address.",
        details: { username: ["A user with that username already exists."], email: ["Enter a valid email address."] },
      },
    });

    const token = await runCli(["token", "--json"], { env });
    assert.equal(tokenJson(token.stdout).username, username);
    assertTokenShape(tokenJson(token.stdout).token);

    const usage = await runCli(["login", "--bogus", "--json"], { env });
    assert.equal(usage.exitCode, 2);
    assert.deepEqual(JSON.parse(usage.stdout), { error: { code: "usage", message: "unknown option '--bogus'" } });
  });

  it("keeps the token when logout cannot reach the server, and forgets it with --forget", async () => {
    const local = await configDir();
    const localEnv = { AUTHCTL_CONFIG_DIR: local.path };
    try {
      const { username, token } = await registerDirectly(server.url);
      const login = await runCli(["login", "--url", server.url, "-u", username, "--password-stdin", FILE], {
        env: localEnv,
        input: "s3cret-pw",
      });
      assert.equal(login.exitCode, 0, login.stderr);
      // Point the stored account at a dead port by moving the whole config to another URL.
      const dead = "http://127.0.0.1:9";
      const { readFile, writeFile } = await import("node:fs/promises");
      for (const name of ["config.json", "credentials.json"]) {
        const path = `${local.path}/${name}`;
        await writeFile(path, (await readFile(path, "utf8")).replaceAll(server.url, dead));
      }
      const kept = await runCli(["logout"], { env: localEnv });
      assert.equal(kept.exitCode, 3);
      assert.match(kept.stderr, /hint: the token is kept; .*--forget/);
      assertSameSecret((await runCli(["token"], { env: localEnv })).stdout.trim(), token, "the kept token");

      const forgot = await runCli(["logout", "--forget"], { env: localEnv });
      assert.equal(forgot.exitCode, 0, forgot.stderr);
      assert.match(forgot.stderr, /warning: .*the token may still be valid on the server/);
      assert.equal((await runCli(["token"], { env: localEnv })).exitCode, 4);
    } finally {
      await local.remove();
    }
  });

  it("forgets a token the server had already revoked, and says so", async () => {
    const username = uniqueName("revoked");
    await runCli(["register", "-u", username, "-e", `${username}@example.com`, "--password-stdin", FILE], { env, input: "pw" });
    const token = (await runCli(["token", "-u", username], { env })).stdout.trim();
    assert.equal((await post(`${server.url}/account/logout/`, undefined, { authorization: `Token ${token}` })).status, 200);
    const result = await runCli(["logout", "-u", username], { env });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`The server had already revoked the token of ${username}; removed it locally`));
    assert.equal((await runCli(["token", "-u", username], { env })).exitCode, 4);
  });

  it("forgets an account whose token was deleted by hand", async () => {
    const local = await configDir();
    const localEnv = { AUTHCTL_CONFIG_DIR: local.path, AUTHCTL_URL: server.url };
    try {
      const { username } = await registerDirectly(server.url);
      await runCli(["login", "-u", username, "--password-stdin", FILE], { env: localEnv, input: "s3cret-pw" });
      await rm(join(local.path, "credentials.json"));
      const result = await runCli(["logout"], { env: localEnv });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`No token of ${username} was left in .*credentials\\.json \\(plaintext\\); removed the account`),
      );
      assert.equal((await runCli(["token"], { env: localEnv })).exitCode, 4);
    } finally {
      await local.remove();
    }
  });

  it("exits 5 when the token cannot be stored, and loses nothing: login fetches it again", async () => {
    const local = await configDir();
    const localEnv = { AUTHCTL_CONFIG_DIR: local.path, AUTHCTL_URL: server.url };
    const username = uniqueName("nostore");
    try {
      await mkdir(join(local.path, "credentials.json"));
      const failed = await runCli(["register", "-u", username, "-e", `${username}@example.com`, "--password-stdin", FILE], {
        env: localEnv,
        input: "pw",
      });
      assert.equal(failed.exitCode, 5, failed.stderr);
      assert.match(
        failed.stderr,
        new RegExp(
          `hint: the account is fine on the server; once storage works, run: authctl login --url ${server.url} --username ${username}`,
        ),
      );
      await rm(join(local.path, "credentials.json"), { recursive: true });
      const login = await runCli(["login", "-u", username, "--password-stdin", FILE], { env: localEnv, input: "pw" });
      assert.equal(login.exitCode, 0, login.stderr);
    } finally {
      await local.remove();
    }
  });

  it("lets AUTHCTL_TOKEN override the stored token and says where it came from", async (t) => {
    if (!server.hasMe) {
      t.skip("needs GET /account/me/");
      return;
    }
    const { username, token } = await registerDirectly(server.url);
    const printed = await runCli(["token", "--json"], { env: { ...env, AUTHCTL_TOKEN: token } });
    const printedJson = tokenJson(printed.stdout);
    assert.deepEqual(Object.keys(printedJson), ["url", "username", "token", "source"], "the same keys as for a stored token");
    assert.match(printed.stderr, /notice: using the token from AUTHCTL_TOKEN/);
    assert.equal(printedJson.source, "AUTHCTL_TOKEN");
    assertSameSecret(printedJson.token, token, "the printed token");
    const status = await runCli(["status", "--json"], { env: { ...env, AUTHCTL_TOKEN: token } });
    assert.equal(status.exitCode, 0, status.stderr);
    const [row] = statusRows(status.stdout);
    assert.deepEqual([row?.username, row?.source, row?.state], [username, "AUTHCTL_TOKEN", "accepted"]);
    const logout = await runCli(["logout"], { env: { ...env, AUTHCTL_TOKEN: token } });
    assert.equal(logout.exitCode, 0, logout.stderr);
    assert.match(logout.stderr, /The token from AUTHCTL_TOKEN is revoked at /);
    const rejected = await runCli(["status", "--json"], { env: { ...env, AUTHCTL_TOKEN: token } });
    assert.equal(rejected.exitCode, 1);
    assert.equal(statusRows(rejected.stdout)[0]?.state, "rejected");
  });

  it("reports a rejected stored token in status with exit 1, with the command that fixes it", async () => {
    const local = await configDir();
    try {
      const { username, token } = await registerDirectly(server.url);
      const localEnv = { AUTHCTL_CONFIG_DIR: local.path, AUTHCTL_URL: server.url };
      await runCli(["login", "-u", username, "--password-stdin", FILE], { env: localEnv, input: "s3cret-pw" });
      await post(`${server.url}/account/logout/`, undefined, { authorization: `Token ${token}` });
      const status = await runCli(["status"], { env: localEnv });
      assert.equal(status.exitCode, 1);
      assert.match(
        status.stdout,
        new RegExp(
          `✗ token rejected by the server: Invalid token\\.\\n    fix: authctl login --url ${server.url} --username ${username}\\n`,
        ),
      );
    } finally {
      await local.remove();
    }
  });
});
