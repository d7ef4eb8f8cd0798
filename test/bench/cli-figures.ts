/** The CLI's figures: start-up against `node -e 0`, and bulk provisioning against the server's login rate. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AUTHCTL } from "../helpers/cli.js";
import { benchBulk } from "./bulk.js";
import { atLeast, atMost, row, type Row } from "./report.js";

const RUNS = 21;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function runOnce(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: "ignore", env });
  if (result.status === null) throw new Error(`${args.join(" ")} was killed`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** `authctl --version` and `authctl status` (nothing stored) against `node -e 0`, run round-robin so noise hits all alike. */
export function cliStartRows(): Row[] {
  const configDir = mkdtempSync(join(tmpdir(), "authctl-bench-cli-"));
  const env: NodeJS.ProcessEnv = { ...process.env, AUTHCTL_CONFIG_DIR: configDir, NO_COLOR: "1" };
  delete env.AUTHCTL_URL;
  delete env.AUTHCTL_TOKEN;
  const commands = [["-e", "0"], [AUTHCTL, "--version"], [AUTHCTL, "status"]];
  const samples = commands.map(() => [] as number[]);
  try {
    for (let i = 0; i < RUNS; i++) commands.forEach((args, j) => samples[j]?.push(runOnce(args, env)));
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
  const [node = 1, version = 0, status = 0] = samples.map(median);
  return [
    row("authctl --version start vs node -e 0", version, node, "ms", atMost(1.2), `median of ${RUNS}`),
    row("authctl status (nothing stored) vs node -e 0", status, node, "ms", atMost(1.5), `median of ${RUNS}`),
  ];
}

/** `authctl register --from` against the server's login rate at the same bcrypt cost, both measured by test/bench/bulk.ts. */
export async function bulkProvisioningRow(): Promise<Row> {
  const { rate, login, cost } = await benchBulk();
  return row("bulk provisioning (register --from) vs login rate, same cost", rate, login, "accounts/s", atLeast(0.9), `one server process, bcrypt cost ${cost}`);
}
