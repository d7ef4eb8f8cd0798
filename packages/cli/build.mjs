// Builds the CLI's dist/ from src with esbuild, as CommonJS files that Node 20 starts fast. `npm run build` runs it after
// `tsc -b` (which only type-checks the CLI); `node packages/cli/build.mjs` runs it alone.
//
// Why: Node 20 runs an ES module entry through its ESM loader, which costs a few ms to start before any code runs, and
// more on a busy machine since it reads every module through the thread pool; a CommonJS entry never starts it. And each
// module file costs its own resolve, read and compile: `authctl status` used to load about 25 modules, now a few chunks.
//
// How:
// 1. esbuild bundles src as ES modules with splitting (esbuild splits only ES module output): each dynamic import() (what
//    the CLI loads on use: commander, zod, the prompts, each command's code) starts a chunk, and every module is in
//    exactly one chunk, so there is one of each class for instanceof.
// 2. Each file becomes CommonJS: static imports become require(), and an import() of one of our chunks, of a Node built-in
//    or of a CommonJS package left out of the bundle a require() on the next tick. Only @authctl/server keeps its import()
//    (an ES module, which Node 20's require() cannot load); the build fails on any other import() left.
import { build, transform } from "esbuild";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import writeFileAtomic from "write-file-atomic";

const root = dirname(fileURLToPath(import.meta.url));
const outdir = join(root, "dist");
const { version } = JSON.parse(await readFile(join(root, "package.json"), "utf8"));

// Not bundled, loaded from node_modules at run time: the keychain binding (native), the server (an optional peer, for
// `serve` and `admin`), and undici (large; only commands that reach a server load it).
const external = ["@napi-rs/keyring", "@authctl/server", "undici"];
/** Of those, the ES modules: the only import() left in dist/, each starting the ESM loader when it runs; the others are CommonJS. */
const esModuleExternals = ["@authctl/server"];
const entryPoints = { main: "src/main.ts", "keychain-child": "src/secrets/keychain-child.ts" };
/** The bin, and the files named after an entry point rather than by hash, each written after the chunks it requires. */
const ENTRY = "main.cjs";
const entries = new Set(Object.keys(entryPoints).map((name) => `${name}.cjs`));

const esm = await build({
  absWorkingDir: root,
  entryPoints,
  outdir,
  outExtension: { ".js": ".cjs" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.9",
  external,
  // The version is written in rather than read from package.json at start; import.meta is declared in step 2.
  define: { AUTHCTL_VERSION: JSON.stringify(version), "import.meta": "__import_meta" },
  // Folds what the version makes dead (version.ts's reading of package.json); names stay as written, for stack traces.
  minifySyntax: true,
  write: false,
  logLevel: "warning",
});

/** The externals that are CommonJS, as patterns. */
const commonJsExternals = external
  .filter((name) => !esModuleExternals.includes(name))
  .map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
/** import() of what require() loads as well: one of our chunks (./name-HASH.cjs), a Node built-in (node:fs), a CommonJS external. */
const requirable = new RegExp(String.raw`\bimport\((["'])(\./[\w.-]+\.cjs|node:[\w/]+|${commonJsExternals.join("|")})\1\)`, "g");
/** An import() left in the output, and what it imports. */
const dynamicImport = /\bimport\(\s*(?:(["'])([^"']*)\1)?/g;

/** Step 2: one ES module file as CommonJS, in strict mode as it was, after its hashbang if any. */
async function toCommonJs(name, text) {
  const code = text.replace(requirable, (_, quote, id) => `Promise.resolve().then(() => require(${quote}${id}${quote}))`);
  const { code: cjs } = await transform(code, {
    format: "cjs",
    platform: "node",
    target: "node20.9",
    sourcefile: name,
    logLevel: "warning",
  });
  for (const [, , id] of cjs.matchAll(dynamicImport)) {
    if (!esModuleExternals.some((external) => id === external || id?.startsWith(`${external}/`))) {
      throw new Error(`${name}: import(${id ?? "…"}) would start Node's ESM loader: require() it, or list it in esModuleExternals`);
    }
  }
  const hashbang = /^#!.*\n/.exec(cjs)?.[0] ?? "";
  let body = cjs.slice(hashbang.length);
  // import.meta.url as this file's URL, made when read (the keychain only reads it at its first call).
  if (body.includes("__import_meta")) {
    body = `var __import_meta = { get url() { return require("node:url").pathToFileURL(__filename).href; } };\n${body}`;
  }
  return `${hashbang}"use strict";\n${body}`;
}

const converted = new Map(
  await Promise.all(esm.outputFiles.map(async ({ path, text }) => [basename(path), await toCommonJs(basename(path), text)])),
);

// Step 3: into dist/ without a moment where a file that a running `authctl` may require() is missing or half written (the
// tests run the CLI while `npm start` rebuilds): each file is replaced atomically (write-file-atomic: a temporary file,
// then a rename), and only if it changed; the chunks before the entries that require them; the files of the previous
// build that are no longer made, last.
await mkdir(outdir, { recursive: true });
const previous = new Set(await readdir(outdir));
const order = [...converted.keys()].sort((a, b) => Number(entries.has(a)) - Number(entries.has(b)));
for (const name of order) {
  const text = converted.get(name);
  const path = join(outdir, name);
  const mode = name === ENTRY ? 0o755 : 0o644;
  if (previous.has(name) && (await readFile(path, "utf8")) === text && ((await stat(path)).mode & 0o777) === mode) continue;
  await writeFileAtomic(path, text, { mode });
}
await Promise.all(
  [...previous].filter((name) => !converted.has(name)).map((name) => rm(join(outdir, name), { recursive: true, force: true })),
);
