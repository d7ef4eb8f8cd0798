import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { it } from "node:test";
import { AUTHCTL, runCli } from "../helpers/cli.js";
import { post, registration } from "../helpers/http.js";
import { tempDir, uniqueName } from "../helpers/temp.js";

it("authctl serve runs the server in-process until SIGTERM", async () => {
  const dir = await tempDir();
  const dataDir = join(dir.path, "data");
  const child = spawn(process.execPath, [AUTHCTL, "serve", "--port", "0", "--data-dir", dataDir], {
    env: { ...process.env, AUTHCTL_BCRYPT_COST: "4" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", () => {
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.once("exit", () => { reject(new Error(`serve exited:\n${output}`)); });
    });
    const answer = await post(`${url}/account/register/`, registration(uniqueName()));
    assert.equal(answer.status, 201);
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0);
    assert.match(output, /POST \/account\/register\/ 201/);
    assert.match(output, /stopped/);
  } finally {
    child.kill("SIGKILL");
    await dir.remove();
  }
});

it("authctl serve refuses a bad port as a usage error", async () => {
  const result = await runCli(["serve", "--port", "http", "--json"]);
  assert.equal(result.exitCode, 2);
  assert.deepEqual(JSON.parse(result.stdout), { error: { code: "usage", message: '--port must be a whole number from 0 to 65535, got "http"' } });
});

it("authctl serve --workers 2 serves from two processes and stops them all on SIGTERM", async () => {
  const dir = await tempDir();
  const child = spawn(process.execPath, [AUTHCTL, "serve", "--port", "0", "--data-dir", join(dir.path, "data"), "--workers", "2"], {
    env: { ...process.env, AUTHCTL_BCRYPT_COST: "4" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", () => {
        const match = /listening on (http:\/\/\S+) \(data in .*, 2 workers\)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.once("exit", () => { reject(new Error(`serve exited:\n${output}`)); });
    });
    assert.equal((await post(`${url}/account/register/`, registration(uniqueName()))).status, 201);
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0);
    assert.match(output, /stopped/);
  } finally {
    child.kill("SIGKILL");
    await dir.remove();
  }
});

it("authctl serve refuses a bad worker count as a usage error", async () => {
  const result = await runCli(["serve", "--workers", "0", "--json"]);
  assert.equal(result.exitCode, 2);
  assert.deepEqual(JSON.parse(result.stdout), { error: { code: "usage", message: '--workers must be a whole number, 1 or more, got "0"' } });
});
