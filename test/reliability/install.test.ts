import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";
import { tempDir } from "../helpers/temp.js";
import { filesUnder, installGlobally, npmPack, PACKAGES } from "../packaging/helpers.js";

const run = promisify(execFile);

/**
 * The server tarball into an empty prefix, from the registry (better-sqlite3
 * compiles where no prebuilt binary can be fetched: minutes, so here and not
 * in npm test); then authctl-server starts, names its store and stops, and its admin
 * commands create and list a user.
 */
it("the @authctl/server tarball installs alone and authctl-server serves, and administers, from it", { timeout: 900_000 }, async () => {
  const dir = await tempDir("authctl-install-");
  try {
    const packed = await npmPack(PACKAGES.server, dir.path);
    const prefix = join(dir.path, "prefix");
    const started = performance.now();
    await installGlobally(join(dir.path, packed.filename), prefix);
    const files = await filesUnder(prefix);
    const native = files.filter((file) => file.path.endsWith(".node")).map((file) => file.path.slice(prefix.length + 1));
    const megabytes = files.reduce((sum, file) => sum + file.size, 0) / 1024 / 1024;
    console.log(
      `server install: ${Math.round((performance.now() - started) / 1000)} s, ${megabytes.toFixed(1)} MB, native modules:\n  ${native.join("\n  ")}`,
    );
    assert.ok(native.some((path) => path.includes("better-sqlite3")) && native.some((path) => path.includes("bcrypt")), native.join(", "));
    assert.ok(!files.some((file) => file.path.includes("@napi-rs/keyring")), "no keychain binding with the server");

    const bin = join(prefix, "bin", "authctl-server");
    assert.match((await run(bin, ["--help"])).stdout, /AUTHCTL_DATABASE_URL/);
    const data = join(dir.path, "data");
    const server = spawn(bin, ["--port", "0", "--data-dir", data, "--workers", "1"], {
      env: { PATH: process.env.PATH, AUTHCTL_BCRYPT_COST: "4" },
    });
    let output = "";
    const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      for (const stream of [server.stdout, server.stderr]) {
        stream.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("listening on")) resolve();
        });
      }
      void exited.then((code) => {
        reject(new Error(`authctl-server exited (${code}) before listening: ${output}`));
      });
    });
    assert.match(output, new RegExp(`listening on http://127\\.0\\.0\\.1:\\d+ \\(SQLite at ${data}/authctl\\.sqlite3\\)`));
    server.kill("SIGTERM");
    assert.equal(await exited, 0);

    // The admin commands come with the server: a superuser created, then listed, by this install alone.
    const adminEnv = { PATH: process.env.PATH, AUTHCTL_DATA_DIR: data, AUTHCTL_BCRYPT_COST: "4" };
    const creating = run(bin, ["admin", "create-user", "root", "-e", "root@example.com", "--superuser", "--password-stdin"], {
      env: adminEnv,
    });
    creating.child.stdin?.end("root-pass-1\n");
    assert.match((await creating).stderr, /✓ Created superuser root <root@example\.com>/);
    const listed = JSON.parse((await run(bin, ["admin", "list-users", "--json"], { env: adminEnv })).stdout) as {
      username: string;
      isSuperuser: boolean;
    }[];
    assert.deepEqual(
      listed.map(({ username, isSuperuser }) => ({ username, isSuperuser })),
      [{ username: "root", isSuperuser: true }],
    );
  } finally {
    await dir.remove();
  }
});
