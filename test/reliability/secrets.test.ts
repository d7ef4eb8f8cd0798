import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli, type CliResult } from "../helpers/cli.js";
import { tempDir, uniqueName } from "../helpers/temp.js";
import { serverOn } from "./support.js";

const PASSWORD = "Secret-Scan-Pass-7f3a9c";

/** Every process's command line, as `ps -eo args` shows them, read from /proc. */
async function commandLines(): Promise<string[]> {
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const lines = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, "latin1").catch(() => "")));
  return lines.map((line) => line.replaceAll("\0", " "));
}

describe("secrets during a full CLI session", () => {
  it("never show a password or token in the server log, the database files or any process's arguments", async (t) => {
    const data = await tempDir();
    const config = await tempDir("authctl-config-");
    const server = await serverOn(data.path);
    const seen = new Set<string>();
    const sampling = { on: true };
    const sampler = (async () => {
      while (sampling.on) for (const line of await commandLines()) seen.add(line);
    })();
    const outputs: CliResult[] = [];
    let token = "";
    const dataFiles = new Map<string, string>();
    try {
      const env = { AUTHCTL_CONFIG_DIR: config.path, AUTHCTL_URL: server.url };
      const cli = async (args: string[], input?: string) => {
        const result = await runCli(args, { env, ...(input === undefined ? {} : { input }) });
        assert.equal(result.exitCode, 0, `authctl ${args.join(" ")}: ${result.stderr}`);
        outputs.push(result);
        return result;
      };
      const username = uniqueName("scan");
      await cli(["register", "-u", username, "-e", `${username}@example.com`, "--password-stdin"], PASSWORD);
      await cli(["login", "-u", username, "--password-stdin"], PASSWORD);
      await cli(["status"]);
      token = (await runCli(["token"], { env })).stdout.trim();
      assert.match(token, /^[0-9a-f]{40}$/, "authctl token printed a token");
      await cli(["api", "/account/me/"]);
      await cli(["logout"]);
      // Read while the server runs, so the write-ahead log is still there to be scanned.
      for (const name of await readdir(data.path)) dataFiles.set(name, await readFile(join(data.path, name), "latin1"));
    } finally {
      sampling.on = false;
      await sampler;
      await server.stop();
    }
    try {
      const files = [...dataFiles.keys()];
      const places: [string, string][] = [
        ["the server log", server.output()],
        ...dataFiles,
        ["process arguments", [...seen].join("\n")],
        ["the CLI's output", outputs.map((result) => result.stdout + result.stderr).join("\n")],
      ];
      for (const [where, text] of places) {
        assert.ok(!text.includes(PASSWORD), `the password appears in ${where}`);
        assert.ok(!text.includes(token), `the token appears in ${where}`);
      }
      t.diagnostic(
        `scanned the server log, ${files.length} data files (${files.join(", ")}), ${seen.size} distinct process command lines ` +
          `and the output of 6 CLI commands: no password, no token`,
      );
    } finally {
      await data.remove();
      await config.remove();
    }
  });
});
