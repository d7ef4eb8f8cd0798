import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";
import { tempDir } from "../helpers/temp.js";
import { filesUnder, installGlobally, npmPack, PACKAGES } from "./helpers.js";

const run = promisify(execFile);
/** What only the server needs: none of it may come with the CLI. */
const SERVER_ONLY = [
  "@authctl/server",
  "koa",
  "@koa/router",
  "bcrypt",
  "better-sqlite3",
  "@node-rs/argon2",
  "pg",
  "kysely",
  "nodemailer",
  "pino",
  "piscina",
];

it(
  "the authctl tarball installs alone into an empty prefix: the keychain binding its one native module, no server, under 10 MB",
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir("authctl-install-");
    try {
      const packed = await npmPack(PACKAGES.cli, dir.path);
      const prefix = join(dir.path, "prefix");
      await installGlobally(join(dir.path, packed.filename), prefix);
      const installed = join(prefix, "lib", "node_modules", "authctl");
      const files = await filesUnder(prefix);
      const native = files.filter((file) => file.path.endsWith(".node")).map((file) => file.path.slice(installed.length + 1));
      assert.ok(
        native.length === 1 && /^node_modules\/@napi-rs\/keyring-[^/]+\/keyring\.[^/]+\.node$/.test(native[0] ?? ""),
        native.join(", "),
      );
      const names = new Set(files.map((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.path.slice(installed.length))?.[1]));
      assert.deepEqual(
        SERVER_ONLY.filter((name) => names.has(name)),
        [],
      );
      const bytes = files.reduce((sum, file) => sum + file.size, 0);
      assert.ok(bytes < 10 * 1024 * 1024, `${(bytes / 1024 / 1024).toFixed(1)} MB installed`);

      const authctl = join(prefix, "bin", "authctl");
      assert.equal((await run(authctl, ["--version"])).stdout, "authctl 0.1.0\n");
      for (const command of ["serve", "admin"]) {
        const refused = await run(authctl, [command, ...(command === "admin" ? ["list-users"] : [])]).then(
          () => assert.fail(`authctl ${command} ran without the server package`),
          (error: unknown) => error as { code: number; stderr: string },
        );
        assert.equal(refused.code, 2);
        assert.equal(
          refused.stderr,
          `error: authctl ${command} needs the server package, which is not installed: install @authctl/server next to authctl (npm install -g @authctl/server, or its packed tarball)\n`,
        );
      }
    } finally {
      await dir.remove();
    }
  },
);
