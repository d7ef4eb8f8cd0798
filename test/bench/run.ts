/**
 * `npm run bench [-- --quick] [-- --rows=core,machine,...] [-- --rounds=N]`:
 * the server's and the CLI's performance, each figure a ratio against a
 * baseline measured in the same run on the same machine, with its goal
 * (issues 10 and 17). Prints a table and writes it to bench/results/latest.json.
 *
 * The load generator is its own process (wrk; autocannon, in one, for a fixed
 * rate or without wrk), pinned with taskset to core 0; a server measured per
 * core is one process pinned to core 1, so the two never share a core.
 * Compared servers are measured in alternating rounds; the table gives the
 * medians and the spread (min–max) over the rounds. Not part of `npm test`.
 */
import bcrypt from "bcrypt";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bulkProvisioningRow, cliStartRows } from "./cli-figures.js";
import { measure, PINNING, spawnListening, tool, WRK, type Load, type Measured, type Spawned } from "./measure.js";
import { atLeast, atMost, machine, notMeasured, printTable, roundsRow, row, writeJson, type Goal, type Row } from "./report.js";
import { freePort } from "../helpers/ports.js";
import { BENCH_USER, seededDataDir } from "./seed.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CACHE = join(ROOT, "bench", ".cache");
const RESULTS = join(ROOT, "bench", "results", "latest.json");
const SERVER_MAIN = join(ROOT, "packages", "server", "dist", "main.js");
const BASELINE_SERVER = fileURLToPath(new URL("./baseline-server.ts", import.meta.url));
/** The DRF reference app beside this repository (or where DRF_REFERENCE points). */
const DRF_GUNICORN = join(process.env.DRF_REFERENCE ?? join(ROOT, "..", "shared", "reference", "drf"), "start-gunicorn.sh");

const GROUPS = ["core", "machine", "login", "latency", "sliding", "scale", "bulk", "cli"] as const;
type Group = (typeof GROUPS)[number];
const QUICK_GROUPS: readonly Group[] = ["core", "cli"];

function option(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const QUICK = process.argv.includes("--quick");
const SELECTED = new Set<string>(option("rows")?.split(",") ?? (QUICK ? QUICK_GROUPS : GROUPS));
for (const name of SELECTED)
  if (!(GROUPS as readonly string[]).includes(name)) throw new Error(`unknown row group ${name}; the groups are ${GROUPS.join(", ")}`);
const ROUNDS = Math.max(3, Number(option("rounds") ?? 3));

const CORES = availableParallelism();
const COST = 12;
const SECONDS = QUICK ? 3 : 5;
/** Connections of a per-core load, and of a whole-machine one (wrk with one thread per core). */
const CORE_CONNECTIONS = 16;
const MACHINE_CONNECTIONS = 16 * CORES;
/** Twice the hashing slots: enough to keep every slot busy, few enough that no login waits long. */
const LOGIN_CONNECTIONS = 2 * CORES;
const LOGIN_SECONDS = QUICK ? 8 : 15;
const UNKNOWN_TOKEN = `Token ${"0".repeat(40)}`;

/** One process on its own core, the generator on another; or, over the machine, a process per core and nothing pinned. */
interface Placement {
  name: string;
  workers: number;
  serverCores: string | undefined;
  generatorCores: string | undefined;
  connections: number;
  threads: number;
}
const PER_CORE: Placement = {
  name: "1 proc",
  workers: 1,
  serverCores: PINNING?.server,
  generatorCores: PINNING?.generator,
  connections: CORE_CONNECTIONS,
  threads: 1,
};
const MACHINE: Placement = {
  name: `${CORES} proc`,
  workers: CORES,
  serverCores: undefined,
  generatorCores: undefined,
  connections: MACHINE_CONNECTIONS,
  threads: CORES,
};

const logDir = mkdtempSync(join(tmpdir(), "authctl-bench-"));

function startOurs(dataDir: string, name: string, place: Placement, settings: Record<string, string> = {}): Promise<Spawned> {
  const env = {
    AUTHCTL_DATA_DIR: dataDir,
    AUTHCTL_PORT: "0",
    AUTHCTL_WORKERS: String(place.workers),
    AUTHCTL_BCRYPT_COST: String(COST),
    ...settings,
  };
  return spawnListening(process.execPath, [SERVER_MAIN], env, join(logDir, `${name}.log`), { cores: place.serverCores });
}

function startBaseline(kind: "koa" | "http", place: Placement): Promise<Spawned> {
  return spawnListening(
    process.execPath,
    ["--import", "tsx", BASELINE_SERVER, kind, String(place.workers)],
    {},
    join(logDir, `${kind}-${place.workers}.log`),
    { cores: place.serverCores },
  );
}

/** The DRF reference under gunicorn with as many workers, or why it cannot run here. */
async function startDrf(place: Placement): Promise<Spawned | string> {
  if (!existsSync(DRF_GUNICORN)) return `not measured: no DRF reference at ${DRF_GUNICORN} (set DRF_REFERENCE)`;
  if (tool("gunicorn") === undefined)
    return "not measured: gunicorn is not installed (apt-get install -y python3-django python3-djangorestframework gunicorn)";
  const port = await freePort();
  const dbDir = mkdtempSync(join(tmpdir(), "authctl-bench-drf-"));
  try {
    const url = `http://127.0.0.1:${port}`;
    const server = await spawnListening(
      "bash",
      [DRF_GUNICORN, String(port), String(place.workers)],
      { DRF_DB_DIR: dbDir },
      join(logDir, `drf-${place.workers}.log`),
      {
        cores: place.serverCores,
        url: `${url}/account/login/`,
      },
    );
    return {
      url,
      stop: async () => {
        await server.stop();
        rmSync(dbDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dbDir, { recursive: true, force: true });
    return `not measured: ${(error as Error).message.split("\n")[0] ?? ""}`;
  }
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

type LoadOf = (url: string) => Load;

const meLoad =
  (token: string, place: Placement, extra: Partial<Load> = {}): LoadOf =>
  (url) => ({
    url: `${url}/account/me/`,
    headers: { authorization: `Token ${token}` },
    connections: place.connections,
    threads: place.threads,
    cores: place.generatorCores,
    seconds: SECONDS,
    ...extra,
  });
/** One unknown token over and over (a client holding a revoked token), or (`randomTokens`) a new one each time (guesses). */
const logoutLoad =
  (place: Placement, randomTokens = false): LoadOf =>
  (url) => ({
    url: `${url}/account/logout/`,
    method: "POST",
    ...(randomTokens ? { randomTokens } : { headers: { authorization: UNKNOWN_TOKEN } }),
    connections: place.connections,
    threads: place.threads,
    cores: place.generatorCores,
    seconds: SECONDS,
  });
const loginLoad =
  (place: Placement, seconds = LOGIN_SECONDS): LoadOf =>
  (url) => ({
    url: `${url}/account/login/`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: BENCH_USER.username, password: BENCH_USER.password }),
    connections: LOGIN_CONNECTIONS,
    cores: place.generatorCores,
    seconds,
  });

/**
 * Checks one answer's status first, measures after a one-second warm-up, and
 * refuses a run where answers were not of the expected status class. Logins
 * cut off by the end of a run are still being hashed: the next measurement
 * waits for them (more logins, queued behind them, come back), so no run
 * inherits another's backlog.
 */
async function checked(load: Load, status: number): Promise<Measured> {
  process.stderr.write(`  ${load.method ?? "GET"} ${load.url} …\n`);
  const probe = await fetch(load.url, {
    method: load.method ?? "GET",
    headers: load.headers ?? {},
    ...(load.body === undefined ? {} : { body: load.body }),
  });
  await probe.arrayBuffer();
  if (probe.status !== status) throw new Error(`${load.url} answered ${probe.status}, not ${status}`);
  const isLogin = load.url.endsWith("/account/login/");
  if (!isLogin) await measure({ ...load, seconds: 1 }, status);
  const result = await measure(load, status);
  if (isLogin) await Promise.all(Array.from({ length: 2 * CORES }, () => tokenOf(load.url.slice(0, -"/account/login/".length))));
  if (result.unexpected > 0) throw new Error(`${load.url}: ${result.unexpected} answers were not ${status}`);
  return result;
}

/**
 * Rates of `servers` under the same load, in ROUNDS rounds, the order
 * reversed every other round, so drift in the machine's load hits all alike.
 */
async function inRounds(servers: readonly Spawned[], load: LoadOf, status: number): Promise<number[][]> {
  const rates = servers.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    const order = servers.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) rates[i]?.push((await checked(load(servers[i]?.url ?? ""), status)).rps);
  }
  return rates;
}

/**
 * The token-checked requests: ours against a minimal Koa + @koa/router app
 * answering the same bytes, a bare node:http server, and (the 401) the DRF
 * reference under gunicorn, each with `place.workers` processes.
 */
async function frameworkRows(dataDir: string, place: Placement, koaGoal: Goal | undefined): Promise<Row[]> {
  const ours = await startOurs(dataDir, `ours-${place.workers}`, place);
  const koa = await startBaseline("koa", place);
  const bare = await startBaseline("http", place);
  const drf = await startDrf(place);
  try {
    const token = await tokenOf(ours.url);
    // Warm the JIT of every process before the first figure.
    for (const server of [ours, koa, bare]) await measure(meLoad(token, place, { seconds: 2 })(server.url), 200);
    const rows: Row[] = [];
    const where = `${place.name}${place.serverCores === undefined ? "" : ` on core ${place.serverCores}`}`;
    const me = meLoad(token, place);
    const [ourMe = [], koaMe = [], bareMe = []] = await inRounds(
      [ours, koa, bare],
      (url) => (url === ours.url ? me(url) : meLoad("x", place)(url)),
      200,
    );
    rows.push(roundsRow(`GET /account/me/ (valid token) vs minimal Koa+router, ${where}`, ourMe, koaMe, "req/s", koaGoal));
    rows.push(roundsRow(`GET /account/me/ (valid token) vs bare node:http, ${where}`, ourMe, bareMe, "req/s", undefined));
    const sides = typeof drf === "string" ? [ours, koa, bare] : [ours, koa, bare, drf];
    const [ourOut = [], koaOut = [], bareOut = [], drfOut = []] = await inRounds(sides, logoutLoad(place), 401);
    rows.push(roundsRow(`POST /account/logout/ (unknown token, 401) vs minimal Koa+router, ${where}`, ourOut, koaOut, "req/s", koaGoal));
    rows.push(roundsRow(`POST /account/logout/ (unknown token, 401) vs bare node:http, ${where}`, ourOut, bareOut, "req/s", undefined));
    const drfFigure = `POST /account/logout/ (401) vs DRF under gunicorn, ${place.workers} worker${place.workers === 1 ? "" : "s"}${place.serverCores === undefined ? "" : ` on core ${place.serverCores}`}`;
    rows.push(
      typeof drf === "string" ? notMeasured(drfFigure, atLeast(20), drf) : roundsRow(drfFigure, ourOut, drfOut, "req/s", atLeast(20)),
    );
    return rows;
  } finally {
    for (const server of [ours, koa, bare]) await server.stop();
    if (typeof drf !== "string") await drf.stop();
  }
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
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (elapsed() < 3) {
        await bcrypt.compare(prehashed, hash);
        done++;
      }
    }),
  );
  return (elapsed() * parallel) / done;
}

/** What the server gives each worker (src/server.ts): its share of the cores. */
function hashingThreads(workers: number): number {
  return Math.max(1, Math.ceil(CORES / workers));
}

/** Logins over the machine against the hash bound: as many bcrypts as there are cores, back to back. */
async function loginRow(ours: Spawned): Promise<Row> {
  const threads = Math.min(MACHINE.workers * hashingThreads(MACHINE.workers), CORES);
  // Hash speed measured before and after the logins, so both see the same machine.
  const before = await oneBcrypt(COST, threads);
  const login = (await checked(loginLoad(MACHINE)(ours.url), 200)).rps;
  const hashSeconds = (before + (await oneBcrypt(COST, threads))) / 2;
  return row(
    `POST /account/login/ vs the hash bound, ${MACHINE.name}`,
    login,
    threads / hashSeconds,
    "logins/s",
    atLeast(0.9),
    `bound = min(${MACHINE.workers} proc × ${hashingThreads(MACHINE.workers)} hashing threads, ${CORES} cores) / ${(hashSeconds * 1000).toFixed(0)} ms per bcrypt at cost ${COST} (${threads} at once)`,
  );
}

/** p99 of a paced GET /account/me/ (autocannon, 400 req/s) while logins saturate hashing, against the same when idle. */
async function latencyRow(ours: Spawned): Promise<Row> {
  const token = await tokenOf(ours.url);
  const cheap = meLoad(token, MACHINE, { connections: 4, threads: 1, rate: 400 })(ours.url);
  const underLogins = async () => {
    const logins = checked(loginLoad(MACHINE, SECONDS + 3)(ours.url), 200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const loaded = await measure(cheap, 200);
    await logins;
    return loaded;
  };
  // p99 in whole ms, of a few thousand answers, on a shared machine: one pair of runs is mostly noise.
  const idle: number[] = [];
  const loaded: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const sides = [async () => idle.push(Math.max((await checked(cheap, 200)).p99, 1)), async () => loaded.push((await underLogins()).p99)];
    if (round % 2 === 1) sides.reverse();
    for (const side of sides) await side();
  }
  return roundsRow(
    `p99 of GET /account/me/ while logins saturate hashing vs idle, ${MACHINE.name}`,
    loaded,
    idle,
    "ms",
    atMost(3),
    `idle p99 ${idle.join(", ")} ms, loaded p99 ${loaded.join(", ")} ms in ${ROUNDS} alternating rounds; 400 req/s on 4 connections (autocannon in a process of its own: wrk cannot pace; it reports whole ms)`,
  );
}

/** The token check with a TTL and sliding refresh (a write at most once a minute per token) against DRF's model, on the same database. */
async function slidingRow(dataDir: string): Promise<Row> {
  const plain = await startOurs(dataDir, "plain", PER_CORE);
  const sliding = await startOurs(dataDir, "sliding", PER_CORE, { AUTHCTL_TOKEN_TTL: "10h", AUTHCTL_TOKEN_REFRESH: "sliding" });
  try {
    const tokens = new Map([
      [plain.url, await tokenOf(plain.url)],
      [sliding.url, await tokenOf(sliding.url)],
    ]);
    const [withRefresh = [], without = []] = await inRounds([sliding, plain], (url) => meLoad(tokens.get(url) ?? "", PER_CORE)(url), 200);
    return roundsRow(
      `GET /account/me/ with a TTL and sliding refresh vs without, ${PER_CORE.name}`,
      withRefresh,
      without,
      "req/s",
      atLeast(0.95),
      "AUTHCTL_TOKEN_TTL=10h, AUTHCTL_TOKEN_REFRESH=sliding vs the defaults, one database",
    );
  } finally {
    await plain.stop();
    await sliding.stop();
  }
}

/** Rates with 1 000 and 1 000 000 users, per core, in alternating rounds. */
async function scaleRows(smallDir: string, bigDir: string): Promise<Row[]> {
  const small = await startOurs(smallDir, "small", PER_CORE);
  const big = await startOurs(bigDir, "big", PER_CORE);
  try {
    const tokens = new Map([
      [small.url, await tokenOf(small.url)],
      [big.url, await tokenOf(big.url)],
    ]);
    const loads = [
      ["GET /account/me/", (url: string) => meLoad(tokens.get(url) ?? "", PER_CORE)(url), 200, "req/s"],
      // A new token each time: every one an index lookup that finds nothing (the same one again would be answered from memory).
      ["POST /account/logout/ 401 (a new unknown token each time)", logoutLoad(PER_CORE, true), 401, "req/s"],
      ["POST /account/login/", loginLoad(PER_CORE), 200, "logins/s"],
    ] as const;
    const rows: Row[] = [];
    for (const [label, load, status, unit] of loads) {
      const [few = [], many = []] = await inRounds([small, big], load, status);
      rows.push(
        roundsRow(
          `${label} with 1 000 000 users vs 1 000 (slowdown), ${PER_CORE.name}`,
          few,
          many,
          unit,
          atMost(1.2),
          "ratio = rate with 1 000 users / rate with 1 000 000",
        ),
      );
    }
    return rows;
  } finally {
    await small.stop();
    await big.stop();
  }
}

function describeMethod(): string {
  const generator = WRK === undefined ? "autocannon (wrk is not installed: apt-get install -y wrk)" : "wrk";
  const pinning =
    PINNING === undefined
      ? "NOT pinned (needs taskset and 2 cores): the generator shares the cores with the server"
      : `generator pinned to core ${PINNING.generator}, a per-core server to core ${PINNING.server}`;
  return `loads: ${generator} in its own process, ${pinning}; ${ROUNDS} alternating rounds of ${SECONDS} s after 1 s warm-up, medians (min–max)`;
}

async function main(): Promise<void> {
  const wants = (group: Group) => SELECTED.has(group);
  const smallDir = await seededDataDir(CACHE, 1000, COST);
  const m = machine();
  console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, node ${m.node}`);
  console.log(
    `server: bcrypt cost ${COST}; per core: 1 process, wrk -t1 -c${CORE_CONNECTIONS}; over the machine: ${CORES} processes, wrk -t${CORES} -c${MACHINE_CONNECTIONS}`,
  );
  console.log(`${describeMethod()}\nrows: ${[...SELECTED].join(", ")}\n`);
  const rows: Row[] = [];
  if (wants("core")) rows.push(...(await frameworkRows(smallDir, PER_CORE, atLeast(0.8))));
  if (wants("machine")) rows.push(...(await frameworkRows(smallDir, MACHINE, undefined)));
  if (wants("login") || wants("latency")) {
    const ours = await startOurs(smallDir, "machine", MACHINE);
    try {
      if (wants("login")) rows.push(await loginRow(ours));
      if (wants("latency")) rows.push(await latencyRow(ours));
    } finally {
      await ours.stop();
    }
  }
  if (wants("sliding")) rows.push(await slidingRow(smallDir));
  if (wants("scale")) rows.push(...(await scaleRows(smallDir, await seededDataDir(CACHE, 1_000_000, COST))));
  if (wants("bulk")) rows.push(await bulkProvisioningRow());
  if (wants("cli")) rows.push(...cliStartRows());
  console.log("");
  printTable(rows);
  writeJson(RESULTS, rows, {
    rounds: ROUNDS,
    seconds: SECONDS,
    cores: CORES,
    bcryptCost: COST,
    method: describeMethod(),
    rows: [...SELECTED],
  });
  console.log(`\nwritten to ${RESULTS}; server logs in ${logDir}`);
}

await main();
