import { execFile } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const PACKAGES = {
  cli: fileURLToPath(new URL("../../packages/cli", import.meta.url)),
  server: fileURLToPath(new URL("../../packages/server", import.meta.url)),
};

export interface Packed {
  filename: string;
  size: number;
  files: string[];
}

/** `npm pack --json` of a workspace package (after `npm run build`): what its tarball holds, or, into `destination`, the tarball itself. */
export async function npmPack(dir: string, destination?: string): Promise<Packed> {
  const args = destination === undefined ? ["pack", "--dry-run", "--json"] : ["pack", "--json", "--pack-destination", destination];
  const { stdout } = await run("npm", args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout) as [{ filename: string; size: number; files: { path: string }[] }];
  return { filename: packed.filename, size: packed.size, files: packed.files.map((file) => file.path).sort() };
}

/** `npm install -g TARBALL` into `prefix`, as a person installs it: from the registry, no workspace around. */
export async function installGlobally(tarball: string, prefix: string): Promise<void> {
  await run("npm", ["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", tarball], { maxBuffer: 16 * 1024 * 1024 });
}

/** Every file under `dir` (not following links), with its size. */
export async function filesUnder(dir: string): Promise<{ path: string; size: number }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  return Promise.all(files.map(async (path) => ({ path, size: (await stat(path)).size })));
}
