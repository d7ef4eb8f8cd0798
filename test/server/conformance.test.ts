import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import { spawnServer } from "../helpers/server.js";
import { freePort } from "../helpers/ports.js";
import { tempDir } from "../helpers/temp.js";

const CONFORM = fileURLToPath(new URL("../conformance/conform.mjs", import.meta.url));
const LIFECYCLE_CASES = fileURLToPath(new URL("../conformance/cases-lifecycle.json", import.meta.url));

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

it("passes every dj-rest-auth lifecycle case, reading the reset mail over SMTP, and the original ones still, against one built server", async () => {
  const dir = await tempDir();
  const smtpPort = await freePort();
  const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
  try {
    const lifecycle = spawnSync(
      process.execPath,
      [CONFORM, "--url", server.url, "--smtp-port", String(smtpPort), "--cases", LIFECYCLE_CASES],
      {
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    assert.match(lifecycle.stdout, /conformance: 49 passed, 0 failed/, lifecycle.stdout + lifecycle.stderr);
    assert.equal(lifecycle.status, 0);
    const original = spawnSync(process.execPath, [CONFORM, "--url", server.url], { encoding: "utf8", timeout: 120_000 });
    assert.match(original.stdout, /conformance: 39 passed, 0 failed/, original.stdout);
    // The reset links were served and mailed, yet no uid or token reached the log.
    assert.doesNotMatch(server.output(), /confirm\/[^/\s…]+\/[^/\s]+\//);
  } finally {
    await server.stop();
    await dir.remove();
  }
});
