/**
 * `npm run bench [-- --drf]`: the server's and the CLI's performance, each
 * figure a ratio against a baseline measured in the same run on the same
 * machine, with its goal (issue 10). Prints a table and writes it to
 * bench/results/latest.json. Not part of `npm test`; takes a few minutes
 * (plus a minute, once, to seed the million-user database).
 */
import bcrypt from "bcrypt";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cliStartRows, bulkProvisioningRow } from "./cli-figures.js";
import { measure, spawnListening, waitForHttp, type Load, type Measured, type Spawned } from "./measure.js";
import { atLeast, atMost, machine, notMeasured, printTable, record, row, writeJson, type Row } from "./report.js";
import { BENCH_USER, seededDataDir } from "./seed.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CACHE = join(ROOT, "bench", ".cache");
const RESULTS = join(ROOT, "bench", "results", "latest.json");
const SERVER_MAIN = join(ROOT, "packages", "server", "dist", "main.js");
const BASELINE_SERVER = fileURLToPath(new URL("./baseline-server.ts", import.meta.url));
/** The DRF reference app beside this repository (or where DRF_REFERENCE points), for `--drf`. */
const DRF_GUNICORN = join(process.env.DRF_REFERENCE ?? join(ROOT, "..", "shared", "reference", "drf"), "start-gunicorn.sh");

const CORES = availableParallelism();
const WORKERS = CORES;
const COST = 12;
const SECONDS = 5;
const CONNECTIONS = 32;
/** Twice the hashing slots: enough to keep every slot busy, few enough that no login waits long. */
const LOGIN_CONNECTIONS = 2 * CORES;
const LOGIN_SECONDS = 15;
/** Measurements of each side when comparing with the minimal Koa app. */
const PAIRS = 3;
const UNKNOWN_TOKEN = `Token ${"0".repeat(40)}`;
const SETTINGS = { workers: WORKERS, bcryptCost: COST, seconds: SECONDS, connections: CONNECTIONS, loginConnections: LOGIN_CONNECTIONS, loginSeconds: LOGIN_SECONDS };

const logDir = mkdtempSync(join(tmpdir(), "authctl-bench-"));

function startOurs(dataDir: string, name: string, settings: Record<string, string> = {}): Promise<Spawned> {
  const env = { AUTHCTL_DATA_DIR: dataDir, AUTHCTL_PORT: "0", AUTHCTL_WORKERS: String(WORKERS), AUTHCTL_BCRYPT_COST: String(COST), ...settings };
  return spawnListening([SERVER_MAIN], env, join(logDir, `${name}.log`));
}

function startBaseline(kind: "koa" | "http"): Promise<Spawned> {
  return spawnListening(["--import", "tsx", BASELINE_SERVER, kind, String(WORKERS)], {}, join(logDir, `${kind}.log`));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function tokenOf(url: string): Promise<string> {
  const answer = await fetch(`${url}/account/login/`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: BENCH_USER.username, password: BENCH_USER.password }),
  });
  const { token } = (await answer.json()) as { token?: string };
  if (answer.status !== 200 || token === undefined) throw new Error(`bench login failed with ${answer.status}`);
  return token;
}

const meLoad = (url: string, token: string, extra: Partial<Load> = {}): Load => ({
  url: `${url}/account/me/`, headers: { authorization: `Token ${token}` }, connections: CONNECTIONS, seconds: SECONDS, ...extra,
});
const logoutLoad = (url: string): Load => ({
  url: `${url}/account/logout/`, method: "POST", headers: { authorization: UNKNOWN_TOKEN }, connections: CONNECTIONS, seconds: SECONDS,
});
const loginLoad = (url: string, seconds = LOGIN_SECONDS): Load => ({
  url: `${url}/account/login/`, method: "POST", headers: { "content-type": "application/json" },
  body: JSON.stringify({ username: BENCH_USER.username, password: BENCH_USER.password }), connections: LOGIN_CONNECTIONS, seconds,
});

/**
 * Measures after a one-second warm-up, and refuses a run where answers were
 * not the expected ones. Logins cut off by the end of a run are still being
 * hashed: the next measurement waits for them (one more login, queued behind
 * them, comes back), so no run inherits another's backlog.
 */
async function checked(load: Load, status: number): Promise<Measured> {
  process.stderr.write(`  ${load.method ?? "GET"} ${load.url} …\n`);
  const isLogin = load.url.endsWith("/account/login/");
  if (!isLogin) await measure({ ...load, seconds: 1 }, status);
  const result = await measure(load, status);
  if (isLogin) await Promise.all(Array.from({ length: 2 * WORKERS }, () => tokenOf(load.url.slice(0, -"/account/login/".length))));
  if (result.unexpected > 0) throw new Error(`${load.url}: ${result.unexpected} answers were not ${status}`);
  return result;
}

/**
 * Seconds one bcrypt at `cost` takes here with `parallel` of them running at
 * once (as a saturated server runs them), over about three seconds: the
 * machine's hashing speed under the same conditions as the login load.
 */
async function oneBcrypt(cost: number, parallel: number): Promise<number> {
  const hash = await bcrypt.hash("x", cost);
  const prehashed = createHash("sha256").update(BENCH_USER.password).digest("hex");
  const start = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  let done = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (elapsed() < 3) {
      await bcrypt.compare(prehashed, hash);
      done++;
    }
  }));
  return (elapsed() * parallel) / done;
}

async function frameworkRows(ours: Spawned, token: string): Promise<{ rows: Row[]; me: number; logout: number }> {
  const koa = await startBaseline("koa");
  const bare = await startBaseline("http");
  try {
    const rows: Row[] = [];
    const rates: number[] = [];
    for (const [label, load, status] of [
      ["GET /account/me/ (valid token)", (url: string) => meLoad(url, url === ours.url ? token : "x"), 200],
      ["POST /account/logout/ (unknown token, 401)", logoutLoad, 401],
    ] as const) {
      // Pairs in alternating order, the median of each side: the machine is shared and its load drifts.
      const ourRates: number[] = [];
      const frameworkRates: number[] = [];
      for (let round = 0; round < PAIRS; round++) {
        const sides = [[ours, ourRates], [koa, frameworkRates]] as const;
        for (const [server, rates] of round % 2 === 0 ? sides : [...sides].reverse()) rates.push((await checked(load(server.url), status)).rps);
      }
      const runtime = (await checked(load(bare.url), status)).rps;
      const [our, framework] = [median(ourRates), median(frameworkRates)];
      rates.push(our);
      rows.push(row(`${label} vs minimal Koa+router, ${WORKERS} proc`, our, framework, "req/s", atLeast(0.8)));
      rows.push(record(`${label} vs bare node:http, ${WORKERS} proc`, our, runtime, "req/s"));
    }
    return { rows, me: rates[0] ?? 0, logout: rates[1] ?? 0 };
  } finally {
    await koa.stop();
    await bare.stop();
  }
}

async function latencyRow(ours: Spawned, token: string): Promise<Row> {
  const cheap = meLoad(ours.url, token, { connections: 4, rate: 400 });
  const idle = await checked(cheap, 200);
  const logins = checked(loginLoad(ours.url, SECONDS + 3), 200);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const loaded = await measure(cheap, 200);
  await logins;
  return row("p99 of GET /account/me/ while logins saturate hashing vs idle", loaded.p99, Math.max(idle.p99, 1), "ms", atMost(3),
    `idle p99 ${idle.p99} ms, loaded p99 ${loaded.p99} ms, 400 req/s on 4 connections; autocannon reports whole ms`);
}

/**
 * The token check with a TTL and sliding refresh (a write at most once a
 * minute per token) against DRF's model, on the same database, A B B A.
 */
async function slidingRow(plain: Spawned, plainToken: string, dataDir: string): Promise<Row> {
  const sliding = await startOurs(dataDir, "sliding", { AUTHCTL_TOKEN_TTL: "10h", AUTHCTL_TOKEN_REFRESH: "sliding" });
  try {
    const token = await tokenOf(sliding.url);
    const a1 = (await checked(meLoad(plain.url, plainToken), 200)).rps;
    const b1 = (await checked(meLoad(sliding.url, token), 200)).rps;
    const b2 = (await checked(meLoad(sliding.url, token), 200)).rps;
    const a2 = (await checked(meLoad(plain.url, plainToken), 200)).rps;
    return row("GET /account/me/ with a TTL and sliding refresh vs without", (b1 + b2) / 2, (a1 + a2) / 2, "req/s", atLeast(0.95),
      "AUTHCTL_TOKEN_TTL=10h, AUTHCTL_TOKEN_REFRESH=sliding vs the defaults, one database, each the mean of two runs (A B B A)");
  } finally {
    await sliding.stop();
  }
}

async function drfRow(ourLogout: number): Promise<Row> {
  const goal = atLeast(20);
  const figure = `POST /account/logout/ (401) vs DRF under gunicorn, ${WORKERS} workers`;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dbDir = mkdtempSync(join(tmpdir(), "authctl-bench-drf-"));
  const child = spawn("bash", [DRF_GUNICORN, String(port), String(WORKERS)], { env: { ...process.env, DRF_DB_DIR: dbDir }, stdio: "ignore", detached: true });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/account/login/`);
    const drf = await checked(logoutLoad(`http://127.0.0.1:${port}`), 401);
    return row(figure, ourLogout, drf.rps, "req/s", goal);
  } catch (error) {
    return notMeasured(figure, goal, `not measured: ${(error as Error).message.split("\n")[0] ?? ""}`);
  } finally {
    if (child.pid !== undefined && child.exitCode === null) {
      const exited = once(child, "exit");
      process.kill(-child.pid, "SIGTERM");
      await exited;
    }
    rmSync(dbDir, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** Rates with 1 000 and 1 000 000 users, measured A B B A so drift in the machine's load hits both alike. */
async function scaleRows(small: Spawned, big: Spawned): Promise<Row[]> {
  const [smallToken, bigToken] = [await tokenOf(small.url), await tokenOf(big.url)];
  const note = "ratio = rate with 1 000 users / rate with 1 000 000, each the mean of two runs (A B B A)";
  const loads = [
    ["GET /account/me/", (s: Spawned) => meLoad(s.url, s === small ? smallToken : bigToken), 200, "req/s"],
    ["POST /account/logout/ 401", (s: Spawned) => logoutLoad(s.url), 401, "req/s"],
    ["POST /account/login/", (s: Spawned) => loginLoad(s.url, LOGIN_SECONDS), 200, "logins/s"],
  ] as const;
  const rows: Row[] = [];
  for (const [label, load, status, unit] of loads) {
    const a1 = (await checked(load(small), status)).rps;
    const b1 = (await checked(load(big), status)).rps;
    const b2 = (await checked(load(big), status)).rps;
    const a2 = (await checked(load(small), status)).rps;
    rows.push(row(`${label} with 1 000 000 users vs 1 000 (slowdown)`, (a1 + a2) / 2, (b1 + b2) / 2, unit, atMost(1.2), note));
  }
  return rows;
}

async function main(): Promise<void> {
  const withDrf = process.argv.includes("--drf");
  const smallDir = await seededDataDir(CACHE, 1000, COST);
  const bigDir = await seededDataDir(CACHE, 1_000_000, COST);
  const m = machine();
  console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, node ${m.node}`);
  console.log(`server: ${WORKERS} workers, bcrypt cost ${COST}; loads: autocannon, ${CONNECTIONS} connections, ${SECONDS} s after 1 s warm-up\n`);
  const rows: Row[] = [];

  const small = await startOurs(smallDir, "small");
  let big: Spawned | undefined;
  try {
    const token = await tokenOf(small.url);
    // Warm the JIT of every worker before the first figure.
    await measure(meLoad(small.url, token, { seconds: 3 }), 200);
    const framework = await frameworkRows(small, token);
    rows.push(...framework.rows);
    if (withDrf) rows.push(await drfRow(framework.logout));
    else rows.push(notMeasured("POST /account/logout/ (401) vs DRF under gunicorn", atLeast(20), "not measured: run with --drf"));
    const threads = Math.min(WORKERS * hashingThreads(), CORES);
    // Hash speed measured before and after the logins, so both see the same machine.
    const before = await oneBcrypt(COST, threads);
    const login = (await checked(loginLoad(small.url), 200)).rps;
    const hashSeconds = (before + (await oneBcrypt(COST, threads))) / 2;
    rows.push(row("POST /account/login/ vs the hash bound", login, threads / hashSeconds, "logins/s", atLeast(0.9),
      `bound = min(${WORKERS} proc × ${hashingThreads()} hashing threads, ${CORES} cores) / ${(hashSeconds * 1000).toFixed(0)} ms per bcrypt at cost ${COST} (${threads} at once)`));
    rows.push(await latencyRow(small, token));
    rows.push(await slidingRow(small, token, smallDir));
    big = await startOurs(bigDir, "big");
    rows.push(...(await scaleRows(small, big)));
    rows.push(await bulkProvisioningRow());
  } finally {
    await small.stop();
    await big?.stop();
  }

  rows.push(...cliStartRows());
  console.log("");
  printTable(rows);
  writeJson(RESULTS, rows, SETTINGS);
  console.log(`\nwritten to ${RESULTS}; server logs in ${logDir}`);
}

/** What the server gives each worker (src/server.ts): its share of the cores. */
function hashingThreads(): number {
  return Math.max(1, Math.ceil(CORES / WORKERS));
}

await main();
