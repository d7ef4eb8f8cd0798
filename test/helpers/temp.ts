import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh private directory, removed again by the returned `remove`. */
export async function tempDir(prefix = "authctl-test-"): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

let counter = 0;

/** A username no other test in this run uses. */
export function uniqueName(stem = "user"): string {
  counter += 1;
  return `${stem}${process.pid}x${counter}`;
}
