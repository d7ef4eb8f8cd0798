import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { accessSync, constants, existsSync, readdirSync, readFileSync } from "node:fs";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { tempDir } from "../helpers/temp.js";
import { waitFor } from "../helpers/wait.js";

/**
 * The transcripts the docs show are run as written. A fenced ```console
 * block right after a `<!-- tested -->` line is a transcript: `$ ` starts a
 * command (a trailing `\` continues it on the next line), the lines up to the
 * next command are what it prints (stdout and stderr as a terminal shows
 * them; a line `…` stands for any number of lines). Each document's commands
 * run in order in one bash process, so a variable set by one is there for the
 * next; a server command (`npm start`, `authctl serve …`) is started by the
 * test on a free port and a temporary data directory, and its output up to
 * "listening on" is compared (docs/api.md uses the quick start's server,
 * started the same way). Before comparing, the real port and directories
 * are written as the documented ones, and tokens, times and durations on both
 * sides become placeholders, so a token is never printed.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin");
/** Where the README's reader has their clone: what `npm start`'s `./data` resolves to in its output. */
const DOCUMENTED_CLONE = "/home/you/authctl";
/** The CLI's and the server's default port. */
const DEFAULT_PORT = "8000";
const ELLIPSIS = "…";

interface Step {
  /** 1-based line of the `$ ` in the document. */
  line: number;
  command: string;
  expected: string[];
}

/** The steps of every tested console block of a Markdown file, in order. */
function testedSteps(text: string): Step[] {
  const lines = text.split("\n");
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i]?.trim() !== "<!-- tested -->") continue;
    let j = i + 1;
    while (lines[j]?.trim() === "") j += 1;
    if (lines[j] !== "```console") throw new Error(`line ${i + 1}: <!-- tested --> is not followed by a \`\`\`console block`);
    let current: Step | undefined;
    for (j += 1; lines[j] !== "```"; j += 1) {
      const line = lines[j];
      if (line === undefined) throw new Error(`line ${i + 1}: the console block never ends`);
      if (line.startsWith("$ ")) {
        current = { line: j + 1, command: line.slice(2), expected: [] };
        while (current.command.endsWith("\\")) {
          j += 1;
          const next = lines[j];
          if (next === undefined || next === "```") throw new Error(`line ${current.line}: a \\ continues the command past the block`);
          current.command += "\n" + next;
        }
        steps.push(current);
      } else if (current) {
        current.expected.push(line);
      } else {
        throw new Error(`line ${j + 1}: output before the first command of the block`);
      }
    }
    i = j;
  }
  return steps;
}

/** Tokens, times and durations as placeholders, on the documented and on the real side alike. */
function normalize(text: string): string {
  return text
    .replace(/\b[0-9a-f]{40}\b/g, "<token>")
    .replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g, "<time>")
    .replace(/\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}\b/g, "<date>")
    .replace(/\b\d+(?:\.\d+)? ?(?:ms|s|min|h|d)\b/g, "<duration>")
    .replace(/\b\d+(?:\.\d+)?(?= (?:accounts|rows)?\/s\b|\/s\b)/g, "<rate>")
    .replace(/\b\d+ workers\b/g, "<n> workers");
}

function lines(text: string): string[] {
  const result = normalize(text)
    .split("\n")
    .map((line) => line.trimEnd());
  while (result.length > 0 && result[result.length - 1] === "") result.pop();
  return result;
}

/** Whether `actual` is `expected`, a `…` line matching any number of lines. */
function matches(expected: string[], actual: string[]): boolean {
  const [first, ...rest] = expected;
  if (first === undefined) return actual.length === 0;
  if (first === ELLIPSIS) return actual.some((_, i) => matches(rest, actual.slice(i))) || matches(rest, []);
  return actual[0] === first && matches(rest, actual.slice(1));
}

/** A command as a failure message may show it: passwords (fed by printf, in a form or JSON body) are left out. */
function shown(command: string): string {
  return command
    .replace(/^printf .*?\|/, "printf … |")
    .replace(/(password\d?=)\S+/g, "$1…")
    .replace(/("password\d?":)"[^"]*"/g, '$1"…"');
}

/** `[from, to]` pairs applied to real output (to documented) and, reversed, to commands. */
type Mapping = [real: string, documented: string];

function toDocumented(text: string, mappings: Mapping[]): string {
  return mappings.reduce((result, [real, documented]) => result.split(real).join(documented), text);
}

function toReal(text: string, mappings: Mapping[]): string {
  return mappings.reduce((result, [real, documented]) => result.split(documented).join(real), text);
}

function where(file: string, step: Step): string {
  return `${file}:${step.line}: $ ${shown(step.command)}`;
}

function assertOutput(file: string, step: Step, output: string, mappings: Mapping[]): void {
  const actual = lines(toDocumented(output, mappings));
  const expected = lines(step.expected.join("\n"));
  if (!expected.includes(ELLIPSIS)) {
    assert.deepEqual(actual, expected, `${where(file, step)} printed other lines than the docs show`);
  } else {
    assert.ok(
      matches(expected, actual),
      `${where(file, step)} printed other lines than the docs show\nexpected:\n${expected.join("\n")}\nactual:\n${actual.join("\n")}`,
    );
  }
}

/** This process's PATH without any directory that holds an `authctl`: a shell where nothing put it on PATH yet. */
function pathWithoutAuthctl(): string {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => {
      try {
        accessSync(join(dir, "authctl"), constants.F_OK);
        return false;
      } catch {
        return true;
      }
    })
    .join(delimiter);
}

/** The environment of a new shell: no AUTHCTL_… settings from this process, no colors, a private config dir. */
function baseEnv(path: string, configDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("AUTHCTL_")) env[key] = value;
  }
  return { ...env, PATH: path, NO_COLOR: "1", AUTHCTL_CONFIG_DIR: configDir };
}

/** One bash process fed one command at a time; each command's output (stdout and stderr, interleaved) and status. */
class Shell {
  private readonly child: ChildProcess;
  private buffer = "";
  private count = 0;
  private readonly closed: Promise<unknown>;

  constructor(env: Record<string, string>) {
    this.child = spawn("bash", ["--noprofile", "--norc"], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    this.closed = once(this.child, "close");
    this.child.stdout?.on("data", (chunk: Buffer) => (this.buffer += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.buffer += chunk.toString()));
    this.child.stdin?.write("exec 2>&1\n");
  }

  async run(command: string): Promise<{ output: string; status: number }> {
    this.count += 1;
    const marker = `@@docs-test-${this.count}@@`;
    // The command's stdin is /dev/null, not the script; a newline before `}` ends a trailing comment.
    this.child.stdin?.write(`{ ${command}\n} </dev/null; printf '\\n${marker}%d\\n' "$?"\n`);
    const pattern = new RegExp(`\\n${marker}(\\d+)\\n`);
    const match = await waitFor(`the end of \`${shown(command)}\``, () => {
      if (this.child.exitCode !== null) throw new Error(`bash exited (${this.child.exitCode}) running \`${shown(command)}\``);
      return pattern.exec(this.buffer) ?? undefined;
    });
    const output = this.buffer.slice(0, match.index);
    this.buffer = this.buffer.slice(match.index + match[0].length);
    return { output, status: Number(match[1]) };
  }

  async close(): Promise<void> {
    this.child.stdin?.end();
    await this.closed;
  }
}

interface RunningServer {
  child: ChildProcess;
  output: () => string;
  mappings: Mapping[];
  documentedPort: string;
  realPort: string;
  closed: Promise<unknown>;
}

const SERVER_COMMAND = /^(npm start|authctl serve)(\s|$)/;

/** Starts a documented server command the way it is written, but on a free port and a temporary data directory. */
async function startServer(command: string, dir: string, path: string): Promise<RunningServer> {
  const mappings: Mapping[] = [];
  const env: Record<string, string> = { ...baseEnv(path, join(dir, "server-config")) };
  let real = command;
  let documentedPort = DEFAULT_PORT;
  if (command.startsWith("npm start")) {
    // `npm start` reads AUTHCTL_PORT and AUTHCTL_DATA_DIR; its data is `./data` in the clone by default.
    env.AUTHCTL_PORT = "0";
    env.AUTHCTL_DATA_DIR = join(dir, "data");
    mappings.push([join(dir, "data"), `${DOCUMENTED_CLONE}/data`]);
  } else {
    real = real.replace(/--port[ =](\d+)/, (_, port: string) => {
      documentedPort = port;
      return "--port 0";
    });
    real = real.replace(/--data-dir[ =](\S+)/, (_, documented: string) => {
      mappings.push([join(dir, "data"), documented]);
      return `--data-dir ${join(dir, "data")}`;
    });
  }
  assert.ok(!/[&|;]\s*$/.test(real), `a server command runs in the foreground, in its own terminal: ${command}`);
  const child = spawn("bash", ["-c", `exec ${real}`], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const closed = once(child, "close");
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const realPort = await waitFor(`${command} to listen`, () => {
    if (child.exitCode !== null) throw new Error(`${command} exited (${child.exitCode}):\n${normalize(output)}`);
    return /listening on http:\/\/[^\s:]+:(\d+)/.exec(output)?.[1];
  });
  for (const host of ["127.0.0.1", "localhost"]) mappings.push([`${host}:${realPort}`, `${host}:${documentedPort}`]);
  return { child, output: () => output, mappings, documentedPort, realPort, closed };
}

async function stopServer(server: RunningServer): Promise<void> {
  if (server.child.exitCode === null && server.child.pid !== undefined) {
    // Its own process group: npm, the server and its workers.
    process.kill(-server.child.pid, "SIGTERM");
  }
  await server.closed;
}

/** Runs a document's tested blocks: servers by the test, every other command in one shell. */
async function runDocument(
  file: string,
  options: { path: string; beforeFirstCommand?: (shell: Shell) => Promise<void>; serverFromElsewhere?: string },
): Promise<number> {
  const steps = testedSteps(readFileSync(join(ROOT, file), "utf8"));
  assert.ok(
    steps.some((step) => !SERVER_COMMAND.test(step.command)),
    `${file} has no tested console block`,
  );
  const dir = await tempDir("authctl-docs-");
  const servers: RunningServer[] = [];
  let shell: Shell | undefined;
  try {
    const mappings: Mapping[] = [[join(dir.path, "config"), "~/.config/authctl"]];
    if (options.serverFromElsewhere) {
      // A document whose transcripts use a server another document starts (the quick start's).
      const server = await startServer(options.serverFromElsewhere, dir.path, options.path);
      servers.push(server);
      mappings.push(...server.mappings);
    }
    for (const step of steps) {
      if (SERVER_COMMAND.test(step.command)) {
        const server = await startServer(step.command, dir.path, options.path);
        servers.push(server);
        mappings.push(...server.mappings);
        // The output up to the listening line; the request log that follows is not in the docs.
        const output = server.output();
        const end = output.indexOf("\n", output.search(/listening on /));
        assertOutput(file, step, end === -1 ? output : output.slice(0, end), server.mappings);
        continue;
      }
      if (!shell) {
        const env = baseEnv(options.path, join(dir.path, "config"));
        // The docs rely on the CLI's default URL for the server on the default port.
        const onDefault = servers.find((server) => server.documentedPort === DEFAULT_PORT);
        if (onDefault) env.AUTHCTL_URL = `http://127.0.0.1:${onDefault.realPort}`;
        shell = new Shell(env);
        await options.beforeFirstCommand?.(shell);
      }
      const { output, status } = await shell.run(toReal(step.command, mappings));
      assertOutput(file, step, output, mappings);
      assert.equal(status, 0, `${where(file, step)} exited ${status}`);
    }
    return steps.length;
  } finally {
    await shell?.close();
    for (const server of servers) await stopServer(server);
    await dir.remove();
  }
}

describe("the docs' transcripts run as written", { concurrency: false }, () => {
  it("README.md's quick start, in a new shell where authctl is not on PATH yet", async () => {
    const count = await runDocument("README.md", {
      path: pathWithoutAuthctl(),
      beforeFirstCommand: async (shell) => {
        const { status } = await shell.run("command -v authctl");
        assert.notEqual(status, 0, "authctl is on PATH before the quick start puts it there");
      },
    });
    assert.ok(count >= 5, `README.md's quick start has ${count} commands`);
  });

  it("docs/cli.md's tour", async () => {
    const count = await runDocument("docs/cli.md", { path: [BIN, pathWithoutAuthctl()].join(delimiter) });
    assert.ok(count >= 5, `docs/cli.md's tour has ${count} commands`);
  });

  it("docs/api.md's curl examples, against the quick start's server", async () => {
    const count = await runDocument("docs/api.md", { path: pathWithoutAuthctl(), serverFromElsewhere: "npm start" });
    assert.ok(count >= 5, `docs/api.md has ${count} tested commands`);
  });
});

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(text: string): Set<string> {
  const result = new Set<string>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (!heading || heading[1] === undefined) continue;
    const base = slug(heading[1]);
    let name = base;
    for (let n = 1; result.has(name); n += 1) name = `${base}-${n}`;
    result.add(name);
  }
  return result;
}

describe("the docs", () => {
  const files = [
    "README.md",
    ...readdirSync(join(ROOT, "docs"))
      .filter((name) => name.endsWith(".md"))
      .map((name) => `docs/${name}`),
  ];

  it("have a README front page of at most 150 lines", () => {
    const count = readFileSync(join(ROOT, "README.md"), "utf8").trimEnd().split("\n").length;
    assert.ok(count <= 150, `README.md has ${count} lines`);
  });

  it("link only to files and headings that exist", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), "utf8");
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1] ?? "";
        if (/^[a-z]+:/i.test(target)) continue;
        checked += 1;
        const [path = "", anchor] = target.split("#");
        const targetFile = path === "" ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), path);
        if (!existsSync(targetFile)) {
          broken.push(`${file}: ${target} (no ${relative(ROOT, targetFile)})`);
        } else if (anchor !== undefined && !anchors(readFileSync(targetFile, "utf8")).has(anchor)) {
          broken.push(`${file}: ${target} (no such heading)`);
        }
      }
    }
    assert.ok(checked > 20, `only ${checked} links found`);
    assert.deepEqual(broken, []);
  });
});
