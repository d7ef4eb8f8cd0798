import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeRefusal } from "../../packages/cli/src/refusals.js";
import { assertSafeForPassword, isLoopbackHost, normalizeBaseUrl, resolveBaseUrl } from "../../packages/cli/src/base-url.js";
import { UsageError } from "../../packages/cli/src/errors.js";
import { proxyFor } from "../../packages/cli/src/proxy.js";

describe("base URLs", () => {
  it("normalizes scheme, host, default port and trailing slash, keeping a path prefix", () => {
    assert.equal(normalizeBaseUrl("HTTP://LocalHost:8000/"), "http://localhost:8000");
    assert.equal(normalizeBaseUrl("https://api.example.com:443/v1/auth/"), "https://api.example.com/v1/auth");
    assert.equal(normalizeBaseUrl("127.0.0.1:8000"), "http://127.0.0.1:8000");
    assert.equal(normalizeBaseUrl("api.example.com"), "https://api.example.com");
    assert.equal(normalizeBaseUrl("http://[::1]:8000"), "http://[::1]:8000");
  });

  it("rejects what cannot be a base URL", () => {
    for (const bad of ["ftp://x", "http://user:pw@x", "http://x/?q=1", "http://x/#top", "http://"]) {
      assert.throws(() => normalizeBaseUrl(bad), UsageError, bad);
    }
  });

  it("prefers --url, then AUTHCTL_URL, then the current server, then the default", () => {
    assert.equal(resolveBaseUrl("http://a:1", { AUTHCTL_URL: "http://b:2" }, "http://c:3"), "http://a:1");
    assert.equal(resolveBaseUrl(undefined, { AUTHCTL_URL: "http://b:2" }, "http://c:3"), "http://b:2");
    assert.equal(resolveBaseUrl(undefined, {}, "http://c:3"), "http://c:3");
    assert.equal(resolveBaseUrl(undefined, {}, undefined), "http://127.0.0.1:8000");
  });

  it("sends passwords over plain HTTP only to this machine, unless told otherwise", async () => {
    assert.ok(["localhost", "127.0.0.1", "127.8.9.10", "[::1]", "app.localhost"].every(isLoopbackHost));
    assert.ok(!["example.com", "10.0.0.1", "128.0.0.1", "localhost.example.com"].some(isLoopbackHost));
    await assert.doesNotReject(assertSafeForPassword("http://127.0.0.1:8000", false));
    await assert.doesNotReject(assertSafeForPassword("https://example.com", false));
    await assert.doesNotReject(assertSafeForPassword("http://example.com", true));
    await assert.rejects(assertSafeForPassword("http://example.com", false), /refusing to send a password over plain HTTP/);
  });
});

describe("describeRefusal", () => {
  it("renders DRF error bodies one readable line per message", () => {
    assert.equal(
      describeRefusal({ username: ["A user with that username already exists."], email: ["Enter a valid email address."] }),
      "username: A user with that username already exists.\nemail: Enter a valid email address.",
    );
    assert.equal(describeRefusal({ error: "P1 and P2 should be same!" }), "P1 and P2 should be same!");
    assert.equal(
      describeRefusal({ non_field_errors: ["Unable to log in with provided credentials."] }),
      "Unable to log in with provided credentials.",
    );
  });
});

describe("proxy routing", () => {
  const saved = { ...process.env };
  const withProxyEnv = async (env: Record<string, string>, check: () => Promise<void>) => {
    for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy"])
      Reflect.deleteProperty(process.env, name);
    Object.assign(process.env, env);
    try {
      await check();
    } finally {
      process.env = { ...saved };
    }
  };

  it("never proxies this machine, honours NO_PROXY for the rest, and judges plain HTTP by the route", async () => {
    await withProxyEnv(
      { HTTP_PROXY: "http://u:p@proxy.test:3128", HTTPS_PROXY: "http://proxy.test:3128", NO_PROXY: "intranet.test,.corp.test" },
      async () => {
        for (const url of ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000", "https://127.9.9.9"])
          assert.equal(await proxyFor(url), undefined, url);
        assert.equal(await proxyFor("http://api.example.com"), "http://u:p@proxy.test:3128");
        assert.equal(await proxyFor("https://api.example.com"), "http://proxy.test:3128");
        assert.equal(await proxyFor("http://intranet.test"), undefined);
        assert.equal(await proxyFor("http://git.corp.test"), undefined);
        await assert.doesNotReject(assertSafeForPassword("http://127.0.0.1:8000", false));
        await assert.doesNotReject(assertSafeForPassword("https://api.example.com", false));
        await assert.rejects(
          assertSafeForPassword("http://intranet.test", false),
          /refusing to send a password over plain HTTP to intranet\.test$/,
        );
        await assert.rejects(
          assertSafeForPassword("http://api.example.com", false),
          (error: unknown) => error instanceof UsageError && error.message.endsWith("through the proxy proxy.test:3128"),
        );
      },
    );
  });
});
