import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openCliSetup, registerDirectly, runCli, type CliSetup, type TestServer } from "../helpers/cli.js";
import { startRecordingProxy } from "../helpers/proxy.js";

describe("proxies never see credentials meant for this machine", () => {
  let setup: CliSetup;
  let server: TestServer;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let proxyEnv: Record<string, string | undefined>;
  before(async () => {
    setup = await openCliSetup({ currentServer: false });
    server = setup.server;
    proxy = await startRecordingProxy();
    const withSecret = proxy.url.replace("http://", "http://proxyuser:proxy-pass-word@");
    proxyEnv = {
      ...setup.env,
      HTTP_PROXY: withSecret,
      HTTPS_PROXY: withSecret,
      ALL_PROXY: withSecret,
      http_proxy: undefined,
      https_proxy: undefined,
      NO_PROXY: undefined,
      no_proxy: undefined,
    };
  });
  after(async () => {
    await proxy.close();
    await setup.close();
  });

  it("reaches a loopback server directly, whatever the proxy variables say", async () => {
    const { username } = await registerDirectly(server.url);
    const login = await runCli(["login", "--url", server.url, "-u", username, "--password-stdin", "--insecure-storage"], {
      env: proxyEnv,
      input: "s3cret-pw",
    });
    assert.equal(login.exitCode, 0, login.stderr);
    const status = await runCli(["status"], { env: proxyEnv });
    assert.equal(status.exitCode, 0, status.stderr);
    assert.deepEqual(proxy.seen, [], "requests reached the proxy");
  });

  it("counts plain HTTP through a proxy as off-machine and refuses it, naming the proxy without its credentials", async () => {
    const refused = await runCli(["login", "--url", "http://api.example.invalid", "-u", "ada", "--password-stdin"], {
      env: proxyEnv,
      input: "pw",
    });
    assert.equal(refused.exitCode, 2);
    assert.match(
      refused.stderr,
      /refusing to send a password over plain HTTP to api\.example\.invalid through the proxy 127\.0\.0\.1:\d+\nhint: .*--insecure-http/,
    );
    assert.ok(!refused.stderr.includes("proxy-pass-word"), "the proxy's password was printed");
    assert.deepEqual(proxy.seen, []);
  });

  it("sends other hosts through the proxy when allowed, unless NO_PROXY names them", async () => {
    const allowed = await runCli(["login", "--url", "http://api.example.invalid", "-u", "ada", "--password-stdin", "--insecure-http"], {
      env: proxyEnv,
      input: "pw",
    });
    assert.equal(allowed.exitCode, 3, allowed.stderr);
    assert.match(allowed.stderr, /cannot reach http:\/\/api\.example\.invalid through the proxy 127\.0\.0\.1:\d+: /);
    assert.deepEqual(proxy.seen, ["CONNECT api.example.invalid:80"]);
    proxy.seen.length = 0;
    const direct = await runCli(["login", "--url", "http://api.example.invalid", "-u", "ada", "--password-stdin", "--insecure-http"], {
      env: { ...proxyEnv, NO_PROXY: "localhost,api.example.invalid" },
      input: "pw",
    });
    assert.equal(direct.exitCode, 3, direct.stderr);
    assert.match(direct.stderr, /cannot reach http:\/\/api\.example\.invalid: host not found/);
    assert.deepEqual(proxy.seen, [], "NO_PROXY was not honoured");
  });
});
