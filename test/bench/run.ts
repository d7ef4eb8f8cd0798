/**
 * `npm run bench`: timings as ratios against baselines measured in the same
 * run, so they mean the same on any machine. Not part of `npm test`.
 *   - CLI start-up: `authctl --version` and `authctl --help` against `node -e 0`.
 *   - Server overhead: a DRF validation answer and an authentication failure
 *     from the real app, against a bare node:http server answering JSON.
 *   - Bulk provisioning: accounts per second from `authctl register --from`
 *     against the server's own login rate at the same bcrypt cost and
 *     concurrency (both spend one hash per account), on one server process.
 */
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { AUTHCTL } from "../helpers/cli.js";
import { startInProcess } from "../helpers/server.js";
import { benchBulk } from "./bulk.js";

const RUNS = 30;
const REQUESTS = 2000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function runOnce(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: "ignore" });
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Median wall time of each command, run round-robin so machine noise hits all alike. */
function timeCommands(commands: string[][]): number[] {
  const samples = commands.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) commands.forEach((args, j) => samples[j]?.push(runOnce(args)));
  return samples.map(median);
}

async function timeRequests(url: string, init: RequestInit): Promise<number> {
  for (let i = 0; i < 100; i++) await (await fetch(url, init)).arrayBuffer();
  const start = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) await (await fetch(url, init)).arrayBuffer();
  return Number(process.hrtime.bigint() - start) / 1e6 / REQUESTS;
}

function report(name: string, value: number, baseline: number, unit: string): void {
  console.log(`${name.padEnd(44)} ${value.toFixed(2).padStart(8)} ${unit}  ${(value / baseline).toFixed(2)}x baseline`);
}

async function main(): Promise<void> {
  const [node = 1, version = 0, help = 0] = timeCommands([["-e", "0"], [AUTHCTL, "--version"], [AUTHCTL, "--help"]]);
  console.log(`baseline: node -e 0 ${node.toFixed(2)} ms (median of ${RUNS})`);
  report("authctl --version", version, node, "ms");
  report("authctl --help", help, node, "ms");

  const bare = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(400, { "Content-Type": "application/json", "Content-Length": 15 });
      res.end('{"detail":"ok"}');
    });
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => bare.once("listening", resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
  const app = await startInProcess();
  try {
    const json = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };
    // Measured before and after, so neither side gets all of the client's warm-up.
    const baseline = ((await timeRequests(bareUrl, json)) + (await timeRequests(bareUrl, json))) / 2;
    console.log(`\nbaseline: bare node:http JSON answer ${(baseline * 1000).toFixed(0)} µs/request (${REQUESTS} sequential)`);
    report("POST /account/login/ {} (400, validation)", await timeRequests(`${app.url}/account/login/`, json), baseline, "ms");
    const badToken = { method: "POST", headers: { authorization: `Token ${"0".repeat(40)}` } };
    report("POST /account/logout/ unknown token (401)", await timeRequests(`${app.url}/account/logout/`, badToken), baseline, "ms");
  } finally {
    bare.close();
    await app.close();
  }
}

await main();
await benchBulk();
