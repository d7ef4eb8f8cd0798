// Builds the CLI's dist/ from src with esbuild, as CommonJS files that Node 20 starts fast. `npm run build` runs it after
// `tsc -b` (which only type-checks the CLI); `node packages/cli/build.mjs` runs it alone.
//
// Why: Node 20 runs an ES module entry through its ESM loader, which costs a few ms to start before any code runs, and
// more on a busy machine since it reads every module through the thread pool; a CommonJS entry never starts it. And each
// module file costs its own resolve, read and compile: `authctl status` used to load about 25.
//
// How:
// 1. esbuild bundles src as ES modules with splitting (esbuild splits only ES module output): each dynamic import() (what
//    the CLI loads on use: commander, zod, the prompts, each command's code) starts a chunk, and every module is in
//    exactly one chunk, so there is one of each class for instanceof.
// 2. Each file becomes CommonJS: static imports become require(), and an import() of one of our chunks, of a Node built-in
//    or of a CommonJS package left out of the bundle a require() on the next tick. Only @authctl/server keeps its import()
//    (an ES module, which Node 20's require() cannot load); the build fails on any other import() left.
// 3. The chunks that are mostly our own code go into one file, app.cjs, each a function run on its first require as a
//    file of its own would be, but with one file to find, read and compile. main.cjs and the little it imports stay apart,
//    for `--version`; chunks that are mostly a package (commander, zod, chalk, the prompts, csv-parse...) stay files of
//    their own, loaded by the commands that use them.
import { build, transform } from "esbuild";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const outdir = join(root, "dist");
const { version } = JSON.parse(await readFile(join(root, "package.json"), "utf8"));

// Not bundled, loaded from node_modules at run time: the keychain binding (native), the server (an optional peer, for
// `serve` and `admin`), and undici (large; only commands that reach a server load it).
const external = ["@napi-rs/keyring", "@authctl/server", "undici"];
/** Of those, the ES modules: the only import() left in dist/, each starting the ESM loader when it runs; the others are CommonJS. */
const esModuleExternals = ["@authctl/server"];
const ENTRY = "main.cjs";
const ENTRIES = [ENTRY, "keychain-child.cjs"];
const APP = "app.cjs";

const esm = await build({
  absWorkingDir: root,
  entryPoints: { main: "src/main.ts", "keychain-child": "src/secrets/keychain-child.ts" },
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
  metafile: true,
  write: false,
  logLevel: "warning",
});

/** Output file name → its metafile entry. */
const outputs = new Map(Object.entries(esm.metafile.outputs).map(([path, output]) => [basename(path), output]));

/** The files `name` imports statically (not import()), its own chunks only. */
const staticImports = (name) =>
  outputs
    .get(name)
    .imports.filter((entry) => entry.kind === "import-statement" && !entry.external)
    .map((entry) => basename(entry.path));

/** main.cjs and everything it imports statically: what `--version` loads. */
const boot = new Set([ENTRY]);
for (const name of boot) for (const imported of staticImports(name)) boot.add(imported);

/**
 * What goes into app.cjs: every chunk but the entry points and what main.cjs loads, unless it holds more than a few KB of
 * packages' code and more of it than of ours (commander, zod, chalk, the prompts, register --from's csv-parse...).
 */
const app = new Set(
  [...outputs]
    .filter(([name]) => !boot.has(name) && !ENTRIES.includes(name))
    .filter(([, output]) => {
      let ours = 0;
      let packages = 0;
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        if (input.includes("node_modules/")) packages += bytesInOutput;
        else ours += bytesInOutput;
      }
      return packages <= 4096 || ours >= packages;
    })
    .map(([name]) => name),
);

/** The externals that are CommonJS, as patterns. */
const commonJsExternals = external
  .filter((name) => !esModuleExternals.includes(name))
  .map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
/** import() of what require() loads as well: one of our chunks (./name-HASH.cjs), a Node built-in (node:fs), a CommonJS external. */
const requirable = new RegExp(String.raw`\bimport\((["'])(\./[\w.-]+\.cjs|node:[\w/]+|${commonJsExternals.join("|")})\1\)`, "g");
/** An import() left in the output, and what it imports. */
const dynamicImport = /\bimport\(\s*(?:(["'])([^"']*)\1)?/g;

/** Step 2: one ES module file as CommonJS, in strict mode as it was; its hashbang, if any, apart. */
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
  return { hashbang, body };
}

/** A require() of a chunk that lives in app.cjs, from outside it, asks app.cjs. */
function requireFromApp(body) {
  return body.replace(/\brequire\((["'])\.\/([\w.-]+\.cjs)\1\)/g, (call, quote, name) =>
    app.has(name) ? `require(${quote}./${APP}${quote})(${quote}./${name}${quote})` : call,
  );
}

const converted = new Map(
  await Promise.all(esm.outputFiles.map(async ({ path, text }) => [basename(path), await toCommonJs(basename(path), text)])),
);

/** app.cjs: each chunk a function of (module, exports, require), run once, on its first require as a file would be. */
function appFile() {
  const chunks = [...app].sort().map((name) => `${JSON.stringify(`./${name}`)}(module, exports, require) {\n${converted.get(name).body}}`);
  return `"use strict";
// The CLI's own chunks (packages/cli/build.mjs): each runs on its first require, as a file of its own would.
const chunks = {
${chunks.join(",\n")}
};
const loaded = new Map();
function load(id) {
  if (!Object.hasOwn(chunks, id)) return require(id);
  let chunk = loaded.get(id);
  if (chunk === undefined) {
    chunk = { exports: {} };
    loaded.set(id, chunk);
    chunks[id].call(chunk.exports, chunk, chunk.exports, load);
  }
  return chunk.exports;
}
module.exports = load;
`;
}

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const files = [[APP, appFile()]];
for (const [name, { hashbang, body }] of converted) {
  if (!app.has(name)) files.push([name, `${hashbang}"use strict";\n${requireFromApp(body)}`]);
}
await Promise.all(files.map(([name, text]) => writeFile(join(outdir, name), text)));
await chmod(join(outdir, ENTRY), 0o755);
