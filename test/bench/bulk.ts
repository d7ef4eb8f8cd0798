import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AUTHCTL } from "../helpers/cli.js";
import { spawnServer } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";

const COST = process.env.BENCH_BCRYPT_COST ?? "10";
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 60);
const ROUNDS = 5;
const CONCURRENCY = 8;

interface Account {
  username: string;
  password: string;
}

/** POSTs one body per account to `path`, CONCURRENCY at a time; returns requests per second. */
async function postRate(url: string, path: string, bodies: object[], expected: number): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  const worker = async () => {
    for (let body = bodies[next++]; body; body = bodies[next++]) {
      const response = await fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      if (response.status !== expected) throw new Error(`${path} answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return bodies.length / (Number(process.hrtime.bigint() - start) / 1e9);
}

const loginRate = (url: string, accounts: Account[]) => postRate(url, "/account/login/", accounts, 200);

/** The same registrations as the CLI makes, sent straight from here: the server's own registration rate. */
function directRegisterRate(url: string, name: string): Promise<number> {
  const bodies = Array.from({ length: ACCOUNTS }, (_, i) => ({
    username: `${name}${i}`,
    email: `${name}${i}@example.com`,
    password: `bench-password-${i}`,
    password2: `bench-password-${i}`,
  }));
  return postRate(url, "/account/register/", bodies, 201);
}

/** Runs `authctl register --from` over fresh accounts; returns its own accounts/s and the wall-clock one (start-up included). */
async function provisionRate(url: string, dir: string, name: string): Promise<{ rate: number; wall: number; accounts: Account[] }> {
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({ username: `${name}${i}`, password: `bench-password-${i}` }));
  const file = join(dir, `${name}.csv`);
  await writeFile(
    file,
    `username,email,password\n${accounts.map((a) => `${a.username},${a.username}@example.com,${a.password}`).join("\n")}\n`,
  );
  const start = process.hrtime.bigint();
  // Not spawnSync: the server's log pipe must keep flowing meanwhile.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [AUTHCTL, "register", "--from", file, "--url", url, "--concurrency", String(CONCURRENCY), "--quiet", "--json"],
    {
      env: { ...process.env, AUTHCTL_CONFIG_DIR: dir },
    },
  );
  const wall = ACCOUNTS / (Number(process.hrtime.bigint() - start) / 1e9);
  const summary = JSON.parse(stdout) as { created: number; accountsPerSecond: number };
  if (summary.created !== ACCOUNTS) throw new Error(`register --from created ${summary.created} of ${ACCOUNTS}`);
  return { rate: summary.accountsPerSecond, wall, accounts };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Accounts/s of `register --from` and the login rate at the same cost, medians over alternating rounds (also printed in detail). */
export async function benchBulk(): Promise<{ rate: number; login: number; cost: string }> {
  const dir = await tempDir("authctl-bench-");
  const server = await spawnServer({ AUTHCTL_DATA_DIR: join(dir.path, "data"), AUTHCTL_BCRYPT_COST: COST });
  try {
    // Short rounds, each side in turn, and the median of the per-round ratios:
    // on a shared machine the load drifts more between minutes than within a round.
    const rounds: { bulk: number; wall: number; login: number; direct: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const provisioned = await provisionRate(server.url, dir.path, `bench${round}x`);
      const login = await loginRate(server.url, provisioned.accounts);
      const direct = await directRegisterRate(server.url, `direct${round}x`);
      rounds.push({ bulk: provisioned.rate, wall: provisioned.wall, login, direct });
    }
    const login = median(rounds.map((r) => r.login));
    const line = (name: string, key: "bulk" | "wall" | "direct") =>
      `${name.padEnd(44)} ${median(rounds.map((r) => r[key]))
        .toFixed(1)
        .padStart(8)} accounts/s  ${(median(rounds.map((r) => r[key] / r.login)) * 100).toFixed(0)}% of the login rate`;
    console.log(
      `\nbaseline: server login rate ${login.toFixed(1)} logins/s (bcrypt cost ${COST}, ${CONCURRENCY} at a time; medians of ${ROUNDS} rounds of ${ACCOUNTS} accounts)`,
    );
    console.log(`${line("authctl register --from", "bulk")} (goal ≥ 90%)`);
    console.log(line("  the same, wall clock with start-up", "wall"));
    console.log(line("  POST /account/register/ straight, for scale", "direct"));
    return { rate: median(rounds.map((r) => r.bulk)), login, cost: COST };
  } finally {
    await server.stop();
    await dir.remove();
  }
}
