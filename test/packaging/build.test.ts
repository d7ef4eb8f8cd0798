import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { PACKAGES } from "./helpers.js";

const run = promisify(execFile);
const dist = join(PACKAGES.cli, "dist");

/** Each file of the CLI's dist/ as the file system knows it: a file replaced (even by the same bytes) gets a new inode. */
function snapshot(): Map<string, string> {
  return new Map(
    readdirSync(dist).map((name) => {
      const stats = statSync(join(dist, name));
      return [name, `${stats.ino}:${stats.mtimeMs}:${(stats.mode & 0o777).toString(8)}`];
    }),
  );
}

describe("the CLI's build (packages/cli/build.mjs)", () => {
  // `npm start` rebuilds before it starts, and the tests run the CLI meanwhile: a file removed or rewritten under a
  // running `authctl` is a "Cannot find module" in the middle of its work.
  it("rebuilds in place: with nothing changed, no file of dist/ is touched; a file no build makes any more goes", async () => {
    const stale = join(dist, "chunk-STALE000.cjs");
    writeFileSync(stale, "'use strict';\n");
    const before = snapshot();
    await run(process.execPath, [join(PACKAGES.cli, "build.mjs")]);
    const after = snapshot();
    before.delete("chunk-STALE000.cjs");
    assert.deepEqual(after, before);
    assert.equal((statSync(join(dist, "main.cjs")).mode & 0o777).toString(8), "755", "the bin is executable");
  });
});
