import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { npmPack, PACKAGES } from "./helpers.js";

interface Manifest {
  bin: Record<string, string>;
  files: string[];
  engines: { node: string };
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  exports?: Record<string, string>;
}
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;

/** What a tarball may hold: its manifest, README, LICENSE and compiled JavaScript (the CLI's is CommonJS; the server: its password list too). */
function assertShipsOnlyWhatRuns(files: string[], extra: RegExp[] = []): void {
  const allowed = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^dist\/.+\.c?js$/, ...extra];
  const stray = files.filter((file) => !allowed.some((pattern) => pattern.test(file)));
  assert.deepEqual(stray, [], "no maps, declarations, sources or tests");
  for (const required of ["package.json", "README.md", "LICENSE"]) assert.ok(files.includes(required), required);
}

describe("the packed tarballs (npm pack --dry-run)", () => {
  it("authctl: README, LICENSE and compiled JavaScript, its bin included; the server only an optional peer", async () => {
    const packed = await npmPack(PACKAGES.cli);
    assertShipsOnlyWhatRuns(packed.files);
    const cli = manifest(PACKAGES.cli);
    assert.ok(packed.files.includes(cli.bin.authctl?.replace(/^\.\//, "") ?? ""), "the authctl bin is packed");
    assert.ok(cli.engines.node);
    assert.equal(cli.dependencies["@authctl/server"], undefined, "no dependency on the server package");
    assert.deepEqual(
      [cli.peerDependencies?.["@authctl/server"] !== undefined, cli.peerDependenciesMeta?.["@authctl/server"]?.optional],
      [true, true],
    );
    const server = manifest(PACKAGES.server);
    const shared = Object.keys(cli.dependencies).filter((name) => name in server.dependencies);
    const small = ["commander", "zod", "@inquirer/input", "@inquirer/password"];
    assert.deepEqual(
      shared.filter((name) => !small.includes(name)),
      [],
      "none of the server's dependencies but the small ones both parse arguments and prompt with",
    );
    // A message of the server's admin commands: in the CLI's bundle only if esbuild had pulled their code in.
    assert.deepEqual(
      packed.files.filter((file) => readFileSync(join(PACKAGES.cli, file), "utf8").includes("give exactly one of --user NAME or --all")),
      [],
      "the admin commands come with the server package",
    );
    assert.equal(cli.exports, undefined, "nothing imports the CLI");
  });

  it("@authctl/server: README, LICENSE, compiled JavaScript and the common-password list; authctl-server its bin", async () => {
    const packed = await npmPack(PACKAGES.server);
    assertShipsOnlyWhatRuns(packed.files, [/^data\/(README\.md|common-passwords\.txt\.gz)$/]);
    const server = manifest(PACKAGES.server);
    const bin = server.bin["authctl-server"]?.replace(/^\.\//, "") ?? "";
    assert.ok(packed.files.includes(bin), "the authctl-server bin is packed");
    assert.match(readFileSync(join(PACKAGES.server, bin), "utf8"), /^#!\/usr\/bin\/env node\n/);
    assert.ok(packed.files.includes("data/common-passwords.txt.gz"));
    assert.ok(server.engines.node);
    assert.equal(
      server.dependencies.authctl ?? server.peerDependencies?.authctl,
      undefined,
      "authctl-server admin needs no CLI (and authctl is not our name on npm)",
    );
    for (const file of ["program", "commands", "io", "terminal"])
      assert.ok(packed.files.includes(`dist/admin/cli/${file}.js`), `the admin commands: ${file}`);
    assert.ok(
      packed.files.includes(server.exports?.["./admin-cli"]?.replace(/^\.\//, "") ?? ""),
      "the admin commands authctl admin mounts are exported",
    );
  });
});
