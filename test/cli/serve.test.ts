import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { it } from "node:test";
import { AUTHCTL, runCli } from "../helpers/cli.js";
import { spawnServer } from "../helpers/server.js";
import { post, registration } from "../helpers/http.js";
import { tempDir, uniqueName } from "../helpers/temp.js";

const SERVE = [AUTHCTL, "serve"];

it("authctl serve runs the server in-process until SIGTERM", async () => {
  const dir = await tempDir();
  const dataDir = join(dir.path, "data");
  const server = await spawnServer({}, ["--port", "0", "--data-dir", dataDir], { entry: SERVE });
  try {
    const answer = await post(`${server.url}/account/register/`, registration(uniqueName()));
    assert.equal(answer.status, 201);
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
    assert.equal(await server.stop(), 0);
    assert.match(server.output(), /POST \/account\/register\/ 201/);
    assert.match(server.output(), /stopped/);
  } finally {
    await server.stop();
    await dir.remove();
  }
});

it("authctl serve refuses a bad port as a usage error", async () => {
  const result = await runCli(["serve", "--port", "http", "--json"]);
  assert.equal(result.exitCode, 2);
  assert.deepEqual(JSON.parse(result.stdout), {
    error: { code: "usage", message: '--port must be a whole number from 0 to 65535, got "http"' },
  });
});

it("authctl serve --workers 2 serves from two processes and stops them all on SIGTERM", async () => {
  const dir = await tempDir();
  const server = await spawnServer({}, ["--port", "0", "--data-dir", join(dir.path, "data"), "--workers", "2"], { entry: SERVE });
  try {
    assert.match(server.output(), /listening on http:\/\/\S+ \(SQLite at \S+\/authctl\.sqlite3, 2 workers\)/);
    assert.equal((await post(`${server.url}/account/register/`, registration(uniqueName()))).status, 201);
    assert.equal(await server.stop(), 0);
    assert.match(server.output(), /stopped/);
  } finally {
    await server.stop();
    await dir.remove();
  }
});

it("authctl serve refuses a bad worker count as a usage error", async () => {
  const result = await runCli(["serve", "--workers", "0", "--json"]);
  assert.equal(result.exitCode, 2);
  assert.deepEqual(JSON.parse(result.stdout), {
    error: { code: "usage", message: '--workers must be a whole number from 1 to 256, got "0"' },
  });
});
