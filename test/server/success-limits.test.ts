import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HOUR_MS } from "../../packages/server/src/app.js";
import { loadConfig } from "../../packages/server/src/config.js";
import { post, registration, startInProcess } from "../helpers/server.js";
import { uniqueName } from "../helpers/temp.js";

describe("limits on successful logins and registrations per address", () => {
  it("refuses the third successful login from one address with 429, counting neither failures nor other addresses", async () => {
    // One trusted proxy: X-Forwarded-For names the client, so one test plays several addresses.
    const server = await startInProcess({ config: { trustedProxies: 1, successLimits: { login: { limit: 2, windowMs: HOUR_MS } } } });
    try {
      const user = registration(uniqueName("ok"));
      assert.equal((await post(`${server.url}/account/register/`, user)).status, 201);
      const login = (address: string, password = user.password) =>
        post(`${server.url}/account/login/`, { username: user.username, password }, { "x-forwarded-for": address });
      assert.equal((await login("10.0.0.1", "wrong")).status, 400);
      assert.equal((await login("10.0.0.1")).status, 200);
      assert.equal((await login("10.0.0.1")).status, 200);
      const refused = await login("10.0.0.1");
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get("retry-after"), "3600");
      assert.equal((await login("10.0.0.2")).status, 200, "another address has its own count");
    } finally {
      await server.close();
    }
  });

  it("refuses the second successful registration from one address when the limit is 1", async () => {
    const server = await startInProcess({ config: { successLimits: { register: { limit: 1, windowMs: HOUR_MS } } } });
    try {
      assert.equal((await post(`${server.url}/account/register/`, registration(uniqueName("a")))).status, 201);
      assert.equal((await post(`${server.url}/account/register/`, registration(uniqueName("b")))).status, 429);
    } finally {
      await server.close();
    }
  });

  it("reads AUTHCTL_THROTTLE_LOGIN_SUCCESS and AUTHCTL_THROTTLE_REGISTER_SUCCESS, off by default and under AUTHCTL_THROTTLE=off", () => {
    assert.deepEqual(loadConfig({}).successLimits, { login: undefined, register: undefined });
    assert.deepEqual(
      loadConfig({ AUTHCTL_THROTTLE_LOGIN_SUCCESS: "600/hour", AUTHCTL_THROTTLE_REGISTER_SUCCESS: "10/minute" }).successLimits,
      {
        login: { limit: 600, windowMs: HOUR_MS },
        register: { limit: 10, windowMs: 60_000 },
      },
    );
    assert.deepEqual(loadConfig({ AUTHCTL_THROTTLE: "off", AUTHCTL_THROTTLE_LOGIN_SUCCESS: "1/s" }).successLimits, {});
    assert.throws(() => loadConfig({ AUTHCTL_THROTTLE_LOGIN_SUCCESS: "many" }), /AUTHCTL_THROTTLE_LOGIN_SUCCESS must be a rate/);
  });
});
