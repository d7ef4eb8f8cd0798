import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import { spawnServer } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";

const CONFORM = fileURLToPath(new URL("../conformance/conform.mjs", import.meta.url));

it("passes every DRF conformance case (recorded from the real framework) against the built server", async () => {
  const dir = await tempDir();
  const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path });
  try {
    const run = spawnSync(process.execPath, [CONFORM, "--url", server.url], { encoding: "utf8", timeout: 120_000 });
    const summary = /conformance: (\d+) passed, (\d+) failed/.exec(run.stdout);
    assert.ok(summary, `no summary in:\n${run.stdout}${run.stderr}`);
    assert.equal(summary[2], "0", run.stdout);
    assert.ok(Number(summary[1]) >= 39, run.stdout);
    assert.equal(run.status, 0);
  } finally {
    await server.stop();
    await dir.remove();
  }
});
