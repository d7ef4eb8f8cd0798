import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { availableParallelism } from "node:os";
import { describeStore, loadConfig, SettingsError } from "../../packages/server/src/config.js";

describe("server configuration", () => {
  it("never reads the generic HOST; AUTHCTL_HOST and AUTHCTL_PORT win over PORT", () => {
    const config = loadConfig({ HOST: "0.0.0.0", PORT: "9000" });
    assert.deepEqual([config.host, config.port], ["127.0.0.1", 9000]);
    const ours = loadConfig({ HOST: "0.0.0.0", AUTHCTL_HOST: "::1", PORT: "9000", AUTHCTL_PORT: "9001" });
    assert.deepEqual([ours.host, ours.port], ["::1", 9001]);
  });

  it("throttles failed logins by default and reads rates in DRF's syntax", () => {
    const config = loadConfig({});
    assert.deepEqual(config.throttle, {
      loginPerUsername: { limit: 100, windowMs: 3_600_000 },
      loginDelayAfter: 10,
      loginPerAddress: { limit: 1000, windowMs: 3_600_000 },
      loginKnownForMs: 30 * 86_400_000,
      registerPerAddress: undefined,
      resetPerEmail: { limit: 5, windowMs: 3_600_000 },
      resetPerAddress: { limit: 100, windowMs: 3_600_000 },
    });
    const custom = loadConfig({
      AUTHCTL_THROTTLE_LOGIN_USERNAME: "5/minute",
      AUTHCTL_THROTTLE_LOGIN_DELAY: "off",
      AUTHCTL_THROTTLE_LOGIN_ADDRESS: "off",
      AUTHCTL_THROTTLE_KNOWN_DAYS: "0",
      AUTHCTL_THROTTLE_REGISTER: "50/day",
      AUTHCTL_THROTTLE_RESET_EMAIL: "off",
      AUTHCTL_THROTTLE_RESET_ADDRESS: "10/minute",
    });
    assert.deepEqual(custom.throttle, {
      loginPerUsername: { limit: 5, windowMs: 60_000 },
      loginDelayAfter: undefined,
      loginPerAddress: undefined,
      loginKnownForMs: 0,
      registerPerAddress: { limit: 50, windowMs: 86_400_000 },
      resetPerEmail: undefined,
      resetPerAddress: { limit: 10, windowMs: 60_000 },
    });
    assert.equal(loadConfig({ AUTHCTL_THROTTLE_LOGIN_DELAY: "3" }).throttle.loginDelayAfter, 3);
    assert.deepEqual(loadConfig({ AUTHCTL_THROTTLE: "off", AUTHCTL_THROTTLE_REGISTER: "1/s" }).throttle, {});
  });

  it("reads the lifecycle settings: password rules in Django's order, reset links, mail; never echoes an SMTP password", () => {
    const defaults = loadConfig({});
    assert.deepEqual(defaults.passwordPolicy, { rules: ["similarity", "length", "common", "numeric"], minLength: 8 });
    assert.deepEqual(
      [defaults.registerPasswordRules, defaults.resetTimeoutSeconds, defaults.smtpUrl, defaults.mailFrom],
      [false, 259_200, undefined, "webmaster@localhost"],
    );
    const custom = loadConfig({
      AUTHCTL_PASSWORD_VALIDATORS: "numeric, length",
      AUTHCTL_PASSWORD_MIN_LENGTH: "12",
      AUTHCTL_REGISTER_PASSWORD_RULES: "on",
      AUTHCTL_PASSWORD_RESET_TIMEOUT: "3600",
      AUTHCTL_PUBLIC_URL: "https://auth.example.com/",
      AUTHCTL_RESET_LINK: "https://app.example.com/reset/{uid}/{token}",
      AUTHCTL_SMTP_URL: "smtps://mailer:pw@mail.example.com:465",
      AUTHCTL_MAIL_FROM: "accounts@example.com",
    });
    assert.deepEqual(custom.passwordPolicy, { rules: ["length", "numeric"], minLength: 12 });
    assert.deepEqual(custom.resetLink, {
      publicUrl: "https://auth.example.com",
      linkTemplate: "https://app.example.com/reset/{uid}/{token}",
    });
    assert.deepEqual([custom.registerPasswordRules, custom.resetTimeoutSeconds, custom.mailFrom], [true, 3600, "accounts@example.com"]);
    assert.deepEqual(loadConfig({ AUTHCTL_PASSWORD_VALIDATORS: "none" }).passwordPolicy.rules, []);
    assert.throws(() => loadConfig({ AUTHCTL_PASSWORD_VALIDATORS: "length,dictionary" }), /AUTHCTL_PASSWORD_VALIDATORS .*"dictionary"/);
    assert.throws(() => loadConfig({ AUTHCTL_RESET_LINK: "https://app.example.com/reset" }), /AUTHCTL_RESET_LINK/);
    assert.throws(() => loadConfig({ AUTHCTL_PUBLIC_URL: "ftp://x" }), /AUTHCTL_PUBLIC_URL/);
    assert.throws(
      () => loadConfig({ AUTHCTL_SMTP_URL: "http://mailer:s3cr3t@mail" }),
      (error: Error) => /AUTHCTL_SMTP_URL/.test(error.message) && !error.message.includes("s3cr3t"),
    );
  });

  it("keeps DRF's token model by default and reads knox's settings, refusing any that would have no effect", () => {
    assert.deepEqual(loadConfig({}).tokenPolicy, { ttlMs: undefined, sliding: undefined, perLogin: false, limit: undefined });
    assert.deepEqual(
      loadConfig({
        AUTHCTL_TOKENS: "per-login",
        AUTHCTL_TOKEN_TTL: "10h",
        AUTHCTL_TOKEN_REFRESH: "sliding",
        AUTHCTL_TOKEN_MAX_TTL: "30d",
        AUTHCTL_TOKEN_LIMIT: "5",
      }).tokenPolicy,
      { ttlMs: 36_000_000, sliding: { maxTtlMs: 30 * 86_400_000 }, perLogin: true, limit: 5 },
    );
    assert.equal(loadConfig({ AUTHCTL_TOKEN_TTL: "3s" }).tokenPolicy.ttlMs, 3000);
    assert.equal(loadConfig({ AUTHCTL_TOKEN_TTL: "15m" }).tokenPolicy.ttlMs, 900_000);
    const refusals: [Record<string, string>, RegExp][] = [
      [{ AUTHCTL_TOKEN_TTL: "10" }, /AUTHCTL_TOKEN_TTL must be a whole number with s, m, h or d/],
      [{ AUTHCTL_TOKEN_TTL: "0h" }, /AUTHCTL_TOKEN_TTL must be/],
      [{ AUTHCTL_TOKEN_TTL: "1.5h" }, /AUTHCTL_TOKEN_TTL must be/],
      [{ AUTHCTL_TOKEN_TTL: "3651d" }, /AUTHCTL_TOKEN_TTL must be/],
      [{ AUTHCTL_TOKENS: "per-device" }, /AUTHCTL_TOKENS must be "per-user" or "per-login"/],
      [{ AUTHCTL_TOKEN_REFRESH: "sliding" }, /needs AUTHCTL_TOKEN_TTL/],
      [{ AUTHCTL_TOKEN_REFRESH: "always", AUTHCTL_TOKEN_TTL: "1h" }, /AUTHCTL_TOKEN_REFRESH must be "none" or "sliding"/],
      [{ AUTHCTL_TOKEN_TTL: "1h", AUTHCTL_TOKEN_MAX_TTL: "2h" }, /only with AUTHCTL_TOKEN_REFRESH=sliding/],
      [{ AUTHCTL_TOKEN_TTL: "2h", AUTHCTL_TOKEN_REFRESH: "sliding", AUTHCTL_TOKEN_MAX_TTL: "1h" }, /at least AUTHCTL_TOKEN_TTL/],
      [{ AUTHCTL_TOKEN_LIMIT: "5" }, /only with AUTHCTL_TOKENS=per-login/],
      [{ AUTHCTL_TOKENS: "per-login", AUTHCTL_TOKEN_LIMIT: "0" }, /AUTHCTL_TOKEN_LIMIT must be a whole number from 1/],
    ];
    for (const [env, message] of refusals) assert.throws(() => loadConfig(env), message, JSON.stringify(env));
  });

  it("names the variable or argument that is wrong", () => {
    assert.throws(() => loadConfig({ AUTHCTL_THROTTLE: "maybe" }), /AUTHCTL_THROTTLE must be "on" or "off"/);
    assert.throws(() => loadConfig({ AUTHCTL_THROTTLE_REGISTER: "lots" }), /AUTHCTL_THROTTLE_REGISTER must be a rate/);
    assert.throws(
      () => loadConfig({ AUTHCTL_THROTTLE_LOGIN_DELAY: "soon" }),
      /AUTHCTL_THROTTLE_LOGIN_DELAY must be a number of failed logins/,
    );
    assert.throws(
      () => loadConfig({ AUTHCTL_THROTTLE_KNOWN_DAYS: "-1" }),
      /AUTHCTL_THROTTLE_KNOWN_DAYS must be a whole number from 0 to 3650/,
    );
    assert.throws(() => loadConfig({ AUTHCTL_TRUST_PROXY: "yes" }), /AUTHCTL_TRUST_PROXY must be a whole number/);
    assert.throws(() => loadConfig({ AUTHCTL_MAX_CONNECTIONS: "0" }), /AUTHCTL_MAX_CONNECTIONS must be a whole number from 1/);
    assert.throws(
      () => loadConfig({ AUTHCTL_PORT: "80" }, { port: "http" }),
      (error: Error) => error instanceof SettingsError && error.message === '--port must be a whole number from 0 to 65535, got "http"',
    );
  });

  it("takes a flag over its variable, and checks combinations however they were given", () => {
    const config = loadConfig({ AUTHCTL_PORT: "9001", AUTHCTL_DATA_DIR: "/srv/env" }, { port: "9002", dataDir: "/srv/flag" });
    assert.deepEqual([config.port, config.dataDir], [9002, "/srv/flag"]);
    assert.equal(loadConfig({ AUTHCTL_TOKENS: "per-login" }, { tokenLimit: "3" }).tokenPolicy.limit, 3);
    assert.throws(() => loadConfig({}, { tokenRefresh: "sliding" }), /AUTHCTL_TOKEN_REFRESH=sliding needs AUTHCTL_TOKEN_TTL/);
  });

  it("names the store in use for the start-up line, never a password", () => {
    assert.equal(describeStore(loadConfig({ AUTHCTL_DATA_DIR: "/srv/authctl" })), "SQLite at /srv/authctl/authctl.sqlite3");
    const postgres = describeStore(loadConfig({ AUTHCTL_DATABASE_URL: "postgres://authctl:s3cr3t@db.internal:5433/accounts" }));
    assert.equal(postgres, "PostgreSQL at db.internal:5433/accounts");
    assert.equal(describeStore(loadConfig({ AUTHCTL_DATABASE_URL: "postgresql://db/authctl" })), "PostgreSQL at db:5432/authctl");
  });

  it("takes --revoke-all-tokens and sizes the connection cap below the open-file limit", () => {
    assert.equal(loadConfig({}, { revokeAllTokens: true }).revokeTokens, true);
    assert.equal(loadConfig({}).revokeTokens, false);
    const { maxConnections } = loadConfig({});
    assert.ok(maxConnections >= 16 && maxConnections <= 1024, String(maxConnections));
    assert.equal(loadConfig({ AUTHCTL_MAX_CONNECTIONS: "50" }).maxConnections, 50);
  });
});

it("runs one worker per CPU unless AUTHCTL_WORKERS says otherwise, and refuses 0", () => {
  assert.equal(loadConfig({}).workers, availableParallelism());
  assert.equal(loadConfig({ AUTHCTL_WORKERS: "1" }).workers, 1);
  assert.throws(() => loadConfig({ AUTHCTL_WORKERS: "0" }), /AUTHCTL_WORKERS must be a whole number from 1 to 256, got "0"/);
});
