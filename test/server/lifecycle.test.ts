import assert from "node:assert/strict";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { it } from "node:test";
import { post, registration, spawnServer } from "../helpers/server.js";
import { tempDir, uniqueName } from "../helpers/temp.js";
import { assertSameSecret } from "../helpers/secrets.js";

it("keeps tokens valid across a graceful restart on the same data dir, and nothing readable at rest", async () => {
  const dir = await tempDir();
  const username = uniqueName();
  const password = "plaintext-password-marker";
  let server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path });
  try {
    const registered = await post(`${server.url}/account/register/`, registration(username, password));
    assert.equal(registered.status, 201);
    const token = (registered.body as { token: string }).token;

    const exitCode = await server.stop();
    assert.equal(exitCode, 0);
    assert.match(server.output(), /SIGTERM received: finishing in-flight requests\n.*stopped/);

    const files = await readdir(dir.path);
    assert.ok(files.includes("secret.key") && files.includes("authctl.sqlite3"), files.join(", "));
    for (const file of ["secret.key", "authctl.sqlite3"]) {
      assert.equal((await stat(join(dir.path, file))).mode & 0o777, 0o600, `${file} must be 0600`);
    }
    for (const file of files.filter((name) => name.startsWith("authctl.sqlite3"))) {
      const bytes = await readFile(join(dir.path, file));
      assert.ok(!bytes.includes(token), `${file} holds the plaintext token`);
      assert.ok(!bytes.includes(password), `${file} holds the plaintext password`);
    }

    server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path });
    const me = await fetch(`${server.url}/account/me/`, { headers: { authorization: `Token ${token}` } });
    assert.equal(me.status, 200);
    const login = await post(`${server.url}/account/login/`, { username, password });
    assert.equal(login.status, 200);
    assertSameSecret((login.body as { token?: string }).token, token, "login after restart");
  } finally {
    await server.stop();
    await dir.remove();
  }
});

it("finishes a request that is in flight when SIGTERM arrives", async () => {
  const dir = await tempDir();
  const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_BCRYPT_COST: "12" });
  try {
    const pending = registerSlowly(server.url);
    await pending.sent;
    const stopped = server.stop();
    assert.equal(await pending.status, 201);
    assert.equal(await stopped, 0);
  } finally {
    await server.stop();
    await dir.remove();
  }
});

it("refuses to start on a bad setting, naming the variable", async () => {
  await assert.rejects(spawnServer({ AUTHCTL_BCRYPT_COST: "99" }), /AUTHCTL_BCRYPT_COST must be a whole number from 4 to 31/);
});

/** Sends a registration (bcrypt at cost 12 keeps it busy) and says when the request is fully sent. */
function registerSlowly(url: string): { sent: Promise<void>; status: Promise<number> } {
  let markSent = () => {};
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const status = new Promise<number>((resolve, reject) => {
    const req = request(`${url}/account/register/`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.on("finish", () => setTimeout(markSent, 100));
    req.end(JSON.stringify(registration(uniqueName())));
  });
  return { sent, status };
}

it("refuses to start without the key that sealed its tokens, until told to revoke them", async () => {
  const dir = await tempDir();
  try {
    let server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path });
    const username = uniqueName();
    assert.equal((await post(`${server.url}/account/register/`, registration(username))).status, 201);
    assert.equal(await server.stop(), 0);
    await rm(join(dir.path, "secret.key"));
    await assert.rejects(spawnServer({ AUTHCTL_DATA_DIR: dir.path }), (error: Error) => {
      assert.match(error.message, /holds 1 token sealed by a secret key, and that key \(.*secret\.key\) is missing/);
      assert.match(error.message, /npm start -- --revoke-all-tokens/);
      return true;
    });
    await assert.rejects(stat(join(dir.path, "secret.key")), { code: "ENOENT" }, "no new key was made");
    server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path }, ["--revoke-all-tokens"]);
    try {
      assert.match(server.output(), /revoked 1 token sealed under another key/);
      const login = await post(`${server.url}/account/login/`, { username, password: "s3cret-pw" });
      assert.equal(login.status, 200, "the user logs in again and gets a new token");
    } finally {
      await server.stop();
    }
    server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path });
    await server.stop();
  } finally {
    await dir.remove();
  }
});
