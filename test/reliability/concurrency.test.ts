import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DATABASE_FILE } from "../../packages/server/src/store/database.js";
import { registration, type ServerProcess } from "../helpers/server.js";
import { assertSameSecret } from "../helpers/secrets.js";
import { tempDir, uniqueName } from "../helpers/temp.js";
import { client, serverOn, since } from "./support.js";

describe("races", () => {
  it("gives one 201 to 100 racing registrations of one username, and of one email", async (t) => {
    const dir = await tempDir();
    const server = await serverOn(dir.path, { AUTHCTL_HASH_MAX_WAIT_MS: "600000" });
    const http = client(server.url, 100);
    try {
      const username = uniqueName("race");
      const byName = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          http.postJson("/account/register/", { ...registration(username), email: `${username}${i}@example.com` }),
        ),
      );
      assert.equal(byName.filter((answer) => answer.status === 201).length, 1);
      for (const answer of byName.filter((a) => a.status !== 201)) {
        assert.deepEqual([answer.status, JSON.parse(answer.body)], [400, { username: ["A user with that username already exists."] }]);
      }
      const email = `${uniqueName("mail")}@example.com`;
      const byEmail = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          http.postJson("/account/register/", { ...registration(uniqueName("m")), email: i % 2 ? email : email.toUpperCase() }),
        ),
      );
      assert.equal(byEmail.filter((answer) => answer.status === 201).length, 1);
      for (const answer of byEmail.filter((a) => a.status !== 201))
        assert.deepEqual(JSON.parse(answer.body), { error: "Email already exists!" });
      t.diagnostic("100 racing registrations of one username: 1 created, 99 refused; of one email: 1 created, 99 refused");
    } finally {
      await http.close();
      await server.stop();
      await dir.remove();
    }
  });

  it("starts several servers at once on a new data directory, all on one key", async (t) => {
    for (let round = 1; round <= 3; round++) {
      const dir = await tempDir();
      const started = performance.now();
      const servers = await Promise.all(Array.from({ length: 4 }, () => serverOn(dir.path)));
      try {
        const key = await readFile(join(dir.path, "secret.key"), "utf8");
        assert.match(key, /^[0-9a-f]{64}\n$/, "the key file is whole");
        const [first, ...others] = servers as [ServerProcess, ...ServerProcess[]];
        const username = uniqueName();
        const created = client(first.url);
        const answer = await created.postJson("/account/register/", registration(username));
        await created.close();
        assert.equal(answer.status, 201);
        const token = (JSON.parse(answer.body) as { token: string }).token;
        for (const other of others) {
          const http = client(other.url);
          const login = await http.postJson("/account/login/", { username, password: "s3cret-pw" });
          await http.close();
          assert.equal(login.status, 200, "another server opens the token the first sealed");
          assertSameSecret((JSON.parse(login.body) as { token: string }).token, token, "token through another server");
        }
        t.diagnostic(`round ${round}: 4 simultaneous first starts all served in ${since(started)} ms`);
      } finally {
        await Promise.all(servers.map((server) => server.stop()));
        await dir.remove();
      }
    }
  });
});

describe("a database write-locked by another process", () => {
  it("keeps /healthz and reads answering, answers writes 503 after the bound, and recovers", async (t) => {
    const dir = await tempDir();
    const server = await serverOn(dir.path, { AUTHCTL_LOCK_TIMEOUT_MS: "2000" });
    const http = client(server.url);
    try {
      const existing = uniqueName();
      const registered = await http.postJson("/account/register/", registration(existing));
      assert.equal(registered.status, 201);
      const { token } = JSON.parse(registered.body) as { token: string };
      const locker = await holdWriteLock(join(dir.path, DATABASE_FILE));
      try {
        let start = performance.now();
        const write = http.postJson("/account/register/", registration(uniqueName()));
        // A login counts its attempt before checking the password: a write too, refused rather than left uncounted.
        const login = http.postJson("/account/login/", { username: existing, password: "s3cret-pw" });
        const health = await http.request("/healthz", { method: "GET" });
        const healthMs = since(start);
        assert.equal(health.status, 503);
        assert.match((JSON.parse(health.body) as { reason: string }).reason, /locked by another process/);
        start = performance.now();
        const read = await http.request("/account/me/", { method: "GET", headers: { authorization: `Token ${token}` } });
        const readMs = since(start);
        assert.equal(read.status, 200);
        for (const answer of [await write, await login]) {
          assert.equal(answer.status, 503);
          assert.equal(answer.headers["retry-after"], "1");
        }
        t.diagnostic(
          `while locked: /healthz 503 in ${healthMs} ms, /account/me/ (a read) 200 in ${readMs} ms, a registration and a login 503 after the 2000 ms bound`,
        );
      } finally {
        locker.stdin.end();
        await once(locker, "exit");
      }
      assert.equal((await http.request("/healthz", { method: "GET" })).status, 200);
      assert.equal((await http.postJson("/account/register/", registration(uniqueName()))).status, 201);
    } finally {
      await http.close();
      await server.stop();
      await dir.remove();
    }
  });
});

/** Another process (as a backup or an admin shell would) holding SQLite's write lock until its stdin closes. */
async function holdWriteLock(path: string) {
  const script = `
    const Database = require("better-sqlite3");
    const db = new Database(process.argv[1]);
    db.exec("BEGIN IMMEDIATE");
    process.stdout.write("locked\\n");
    process.stdin.on("end", () => { db.exec("ROLLBACK"); db.close(); }).resume();`;
  const child = spawn(process.execPath, ["-e", script, path], { stdio: ["pipe", "pipe", "inherit"] });
  const [chunk] = (await once(child.stdout, "data")) as [Buffer];
  assert.equal(chunk.toString().trim(), "locked");
  return child;
}
