/** The CLI's figures: start-up against `node -e 0`, and bulk provisioning against the server's login rate. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AUTHCTL } from "../helpers/cli.js";
import { benchBulk } from "./bulk.js";
import { tool } from "./measure.js";
import { atLeast, atMost, median, row, type Row } from "./report.js";

const HYPERFINE = tool("hyperfine");
/** Runs of each command: ROUNDS rounds of RUNS_PER_ROUND, each round after WARMUP runs, the commands in turn. */
const ROUNDS = 3;
const RUNS_PER_ROUND = 10;
const WARMUP = 3;

/** Milliseconds of each run of each command with hyperfine (no shell between it and the command). */
function hyperfineTimes(hyperfine: string, commands: string[][], env: NodeJS.ProcessEnv, dir: string): number[] {
  const file = join(dir, "hyperfine.json");
  execFileSync(
    hyperfine,
    [
      "-N",
      "-i",
      "--warmup",
      String(WARMUP),
      "--runs",
      String(RUNS_PER_ROUND),
      "--style",
      "none",
      "--export-json",
      file,
      ...commands.map((args) => [process.execPath, ...args].join(" ")),
    ],
    { env, stdio: "ignore" },
  );
  const { results } = JSON.parse(readFileSync(file, "utf8")) as { results: { times: number[] }[] };
  return results.flatMap(({ times }) => times.map((seconds) => seconds * 1000));
}

/** Without hyperfine: milliseconds of one spawn until exit. */
function spawnTime(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: "ignore", env });
  if (result.status === null) throw new Error(`${args.join(" ")} was killed`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * `authctl --version` and `authctl status` (nothing stored) against `node -e 0`:
 * hyperfine (Debian's `hyperfine`) where installed, in rounds so that drift in
 * the machine's load hits all three alike; the median of all runs.
 */
export function cliStartRows(): Row[] {
  const dir = mkdtempSync(join(tmpdir(), "authctl-bench-cli-"));
  const env: NodeJS.ProcessEnv = { ...process.env, AUTHCTL_CONFIG_DIR: dir, NO_COLOR: "1" };
  delete env.AUTHCTL_URL;
  delete env.AUTHCTL_TOKEN;
  const commands = [
    ["-e", "0"],
    [AUTHCTL, "--version"],
    [AUTHCTL, "status"],
  ];
  const samples = commands.map(() => [] as number[]);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      if (HYPERFINE !== undefined) {
        const times = hyperfineTimes(HYPERFINE, commands, env, dir);
        samples.forEach((list, i) => list.push(...times.slice(i * RUNS_PER_ROUND, (i + 1) * RUNS_PER_ROUND)));
        continue;
      }
      for (let run = -WARMUP; run < RUNS_PER_ROUND; run++) {
        commands.forEach((args, i) => {
          const ms = spawnTime(args, env);
          if (run >= 0) samples[i]?.push(ms);
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const [node = 1, version = 0, status = 0] = samples.map(median);
  const how = `${HYPERFINE === undefined ? "spawnSync timing (hyperfine is not installed)" : "hyperfine -N"}, median of ${ROUNDS * RUNS_PER_ROUND} in ${ROUNDS} rounds after ${WARMUP} warm-up runs each`;
  return [
    row("authctl --version start vs node -e 0", version, node, "ms", atMost(1.15), how),
    row("authctl status (nothing stored) vs node -e 0", status, node, "ms", atMost(1.3), how),
  ];
}

/** `authctl register --from` against the server's login rate at the same bcrypt cost, both measured by test/bench/bulk.ts. */
export async function bulkProvisioningRow(): Promise<Row> {
  const { rate, login, cost } = await benchBulk();
  return row(
    "bulk provisioning (register --from) vs login rate, same cost",
    rate,
    login,
    "accounts/s",
    atLeast(0.8),
    `one server process, bcrypt cost ${cost}`,
  );
}
