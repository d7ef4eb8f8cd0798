import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import pty from "@lydell/node-pty";
import { readReport, readRows, spawnCli, startAnswerKeepingFront, startFront, withoutSecrets, type ReportEntry } from "../helpers/bulk.js";
import { AUTHCTL, configDir, keyringSkipReason, openCliSetup, registerDirectly, runCli, type TestServer } from "../helpers/cli.js";
import { secretToolLookup } from "../helpers/keyring.js";
import { registerInstantly, startFakeApi } from "../helpers/fake-account-api.js";
import { assertSameSecret, assertTokenShape } from "../helpers/secrets.js";
import { post } from "../helpers/server.js";
import { tempDir, uniqueName } from "../helpers/temp.js";
import type { SummaryJson } from "../../packages/cli/src/bulk/summary.js";
import { waitFor } from "../helpers/wait.js";

type Expected = Omit<ReportEntry, "token" | "password">;

const summaryOf = (stdout: string): SummaryJson => JSON.parse(stdout) as SummaryJson;

/** Builds an input file row by row, remembering the physical line each row starts on and what the report should say. */
class InputBuilder {
  readonly lines: string[] = [];
  readonly expected: Expected[] = [];
  /** Rows expected to end with an account, and the password they carry (undefined: generated). */
  readonly accounts = new Map<string, string | undefined>();

  add(text: string, expect?: Omit<Expected, "line">, password?: string): void {
    const line = this.lines.length + 1;
    this.lines.push(...text.split("\n"));
    if (!expect) return;
    this.expected.push({ line, ...expect });
    if (expect.outcome !== "failed" && expect.username) this.accounts.set(expect.username, password);
  }

  get text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

const created = (username: string): Omit<Expected, "line"> => ({ username, outcome: "created", status: 201, error: null });
/** A failed row; one the server refused (400) carries the email it was sent with. */
const failed = (username: string | null, status: number | null, error: string, email?: string): Omit<Expected, "line"> => ({
  username,
  outcome: "failed",
  status,
  error,
  ...(email === undefined ? {} : { email }),
});
const byLine = (a: { line: number }, b: { line: number }) => a.line - b.line;

/** Logs in as every account with the password from the input or, when generated, from the report; checks the report's token. */
async function assertEveryAccountLogsIn(url: string, accounts: Map<string, string | undefined>, report: ReportEntry[]): Promise<void> {
  const withToken = new Map(report.filter((entry) => entry.token !== undefined).map((entry) => [entry.username, entry]));
  for (const [username, given] of accounts) {
    const entry = withToken.get(username);
    assert.ok(entry, `no token in the report for ${username}`);
    const password = given ?? entry.password;
    assert.ok(
      password !== undefined && password.length >= 20 === (given === undefined),
      `password of ${username}: generated ones are ≥ 20 characters and only those are reported`,
    );
    const answer = await post(`${url}/account/login/`, { username, password });
    assert.equal(answer.status, 200, `login as ${username}`);
    assertSameSecret((answer.body as { token: string }).token, entry.token ?? "", `the reported token of ${username}`);
  }
}

describe("authctl register --from", () => {
  let server: TestServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let env: Record<string, string>;
  let close: () => Promise<void>;
  before(async () => {
    ({ server, env, close } = await openCliSetup());
    dir = await tempDir("authctl-bulk-");
  });
  after(async () => {
    await close();
    await dir.remove();
  });

  it("provisions a CSV with bad rows mixed in, reports every row by its physical line, and a re-run sends only the row a retry could change", async () => {
    const prefix = uniqueName("csv");
    const taken = await registerDirectly(server.url); // password s3cret-pw
    const stranger = await registerDirectly(server.url);
    const input = new InputBuilder();
    input.add("username,email,password");
    for (let i = 0; i < 240; i++) {
      const username = `${prefix}n${i}`;
      const password = i % 3 === 0 ? undefined : `pw-${i}-long-enough`;
      input.add(`${username},${username}@example.com,${password ?? ""}`, created(username), password);
      if (i === 5)
        input.add(`${prefix}bad,not-an-email,pw`, failed(`${prefix}bad`, 400, "email: Enter a valid email address.", "not-an-email"));
      if (i === 17) input.add(`${prefix}noemail,,pw`, failed(`${prefix}noemail`, null, "email is missing"));
      if (i === 30)
        input.add(`${prefix}n3,${prefix}again@example.com,pw`, failed(`${prefix}n3`, null, "duplicate username: already on line 5"));
      if (i === 41)
        input.add(
          `${prefix}wide,${prefix}wide@example.com,pw,extra`,
          failed(`${prefix}wide`, null, "expected 3 fields as in the header, found 4"),
        );
      // A quoted line break is CSV, and still counts as a line; as a password it is refused (no one can type it).
      if (i === 60)
        input.add(
          `${prefix}multi,${prefix}multi@example.com,"two\nlines"`,
          failed(`${prefix}multi`, null, "password contains a control character (U+000A)"),
        );
      if (i === 61) input.add("");
      if (i === 99)
        input.add(
          `${taken.username},${taken.username}@example.com,s3cret-pw`,
          { username: taken.username, outcome: "exists", status: 200, error: null },
          "s3cret-pw",
        );
      if (i === 120)
        input.add(
          `${stranger.username},${stranger.username}@example.com,not-their-password`,
          failed(
            stranger.username,
            400,
            "A user with that username already exists. The password in the input does not log in to it: Unable to log in with provided credentials.",
            `${stranger.username}@example.com`,
          ),
        );
      if (i === 150)
        input.add(
          `${prefix}dupmail,${taken.username}@example.com,pw`,
          failed(`${prefix}dupmail`, 400, "Email already exists!", `${taken.username}@example.com`),
        );
    }
    const file = join(dir.path, `${prefix}.csv`);
    await writeFile(file, input.text);

    const first = await runCli(["register", "--from", file, "--json"], { env });
    assert.equal(first.exitCode, 1, first.stderr);
    const failures = input.expected.filter((entry) => entry.outcome === "failed").length;
    assert.deepEqual(
      { ...summaryOf(first.stdout), elapsedSeconds: 0, accountsPerSecond: 0 },
      {
        url: server.url,
        report: `${file}.report.jsonl`,
        created: 240,
        exists: 1,
        failed: failures,
        doneEarlier: 0,
        failedEarlier: 0,
        rows: 241 + failures,
        elapsedSeconds: 0,
        accountsPerSecond: 0,
        interrupted: false,
      },
    );
    assert.equal((await stat(`${file}.report.jsonl`)).mode & 0o777, 0o600);
    const lines = await readReport(`${file}.report.jsonl`);
    const report = await readRows(`${file}.report.jsonl`);
    assert.deepEqual(report.map(withoutSecrets).sort(byLine), input.expected);
    for (const entry of report) {
      if (entry.outcome !== "failed") assertTokenShape(entry.token, `the token of line ${entry.line}`);
      assert.equal(
        entry.password !== undefined,
        entry.outcome === "created" && input.accounts.get(entry.username ?? "") === undefined,
        `line ${entry.line} reports a password only when generated`,
      );
    }
    await assertEveryAccountLogsIn(server.url, input.accounts, report);
    assert.doesNotMatch(first.stderr + first.stdout, /[0-9a-f]{40}|pw-\d+-long-enough/, "a token or password was printed");

    // The re-run goes through a front that counts what it sends: only the row whose given password may have been corrected.
    const front = await startFront(server.url);
    try {
      const again = await runCli(["register", "--from", file, "--url", front.url, "--json", "--quiet"], { env });
      assert.equal(again.exitCode, 1, again.stderr);
      const summary = summaryOf(again.stdout);
      assert.deepEqual(
        [summary.created, summary.exists, summary.failed, summary.doneEarlier, summary.failedEarlier, summary.rows],
        [0, 0, 1, 240 + failures, failures - 1, 241 + failures],
      );
      assert.deepEqual(
        front.requests.map((request) => `${request.path} ${request.username}`),
        [`/account/register/ ${stranger.username}`, `/account/login/ ${stranger.username}`],
      );
    } finally {
      await front.close();
    }
    const rerun = (await readReport(`${file}.report.jsonl`)).slice(lines.length);
    assert.deepEqual(
      rerun.map(withoutSecrets),
      input.expected.filter((entry) => entry.username === stranger.username),
    );
    assert.deepEqual(
      (await readRows(`${file}.report.jsonl`)).map(withoutSecrets).sort(byLine),
      input.expected,
      "by the rule, every row is as the first run left it",
    );
  });

  it("provisions JSON Lines, reporting malformed lines with their numbers", async () => {
    const prefix = uniqueName("jl");
    const input = new InputBuilder();
    const row = (username: string, password?: string) =>
      JSON.stringify({ username, email: `${username}@example.com`, ...(password ? { password } : {}) });
    for (let i = 0; i < 150; i++) {
      const username = `${prefix}n${i}`;
      const password = i % 2 === 0 ? `pw-${i}-long-enough` : undefined;
      input.add(row(username, password), created(username), password);
      if (i === 3) input.add('{"username": "broken",', failed(null, null, "malformed line: not valid JSON"));
      if (i === 9) input.add('["an", "array"]', failed(null, null, "malformed line: not a JSON object"));
      if (i === 10) input.add("   ");
      if (i === 20) input.add(JSON.stringify({ email: "x@example.com" }), failed(null, null, "username is missing"));
      if (i === 30) input.add(JSON.stringify({ username: 7, email: "x@example.com" }), failed(null, null, "username must be a string"));
      if (i === 40)
        input.add(
          JSON.stringify({ username: `${prefix}typo`, email: "t@example.com", pasword: "x" }),
          failed(`${prefix}typo`, null, 'unknown field "pasword" (expected username, email, password)'),
        );
      if (i === 50) input.add(row(`${prefix}n0`, "other"), failed(`${prefix}n0`, null, "duplicate username: already on line 1"));
      if (i === 60)
        input.add(
          JSON.stringify({ username: `${prefix}bad`, email: "nope", password: "pw" }),
          failed(`${prefix}bad`, 400, "email: Enter a valid email address.", "nope"),
        );
    }
    const file = join(dir.path, `${prefix}.jsonl`);
    const report = join(dir.path, `${prefix}-report.jsonl`);
    await writeFile(file, input.text.replaceAll("\n", "\r\n"));

    const result = await runCli(["register", "--from", file, "--report", report, "--concurrency", "4"], { env });
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(result.stderr, /^created 150 · exists 0 · failed 7 · done earlier 0 · 157 rows in \d+s · [\d.]+ accounts\/s$/m);
    assert.match(result.stderr, new RegExp(`^failed rows, with their line numbers: grep '"outcome":"failed"' ${report}$`, "m"));
    const entries = await readRows(report);
    assert.deepEqual(entries.map(withoutSecrets).sort(byLine), input.expected);
    assert.equal((await stat(report)).mode & 0o777, 0o600);
    await assertEveryAccountLogsIn(server.url, input.accounts, entries);
  });

  it("stops taking rows on Ctrl-C, finishes those in flight, and a re-run sends only the rest, creating every account exactly once", async () => {
    const prefix = uniqueName("int");
    const header = "username,email,password";
    const rows = Array.from(
      { length: 160 },
      (_, i) => `${prefix}n${i},${prefix}n${i}@example.com,${i % 4 === 0 ? "" : `pw-${i}-long-enough`}`,
    );
    const report = join(dir.path, `${prefix}.report.jsonl`);
    // Fed through stdin, which stays open, so the run cannot finish before Ctrl-C reaches it.
    const run = spawnCli(["register", "--from", "-", "--format", "csv", "--report", report, "--concurrency", "4"], env);
    run.child.stdin.write(`${header}\n${rows.slice(0, 100).join("\n")}\n`);
    await waitFor(
      "20 rows done in the report",
      async () => (await readRows(report)).filter((entry) => entry.outcome !== "pending").length >= 20,
    );
    run.child.kill("SIGINT");
    const interrupted = await run.result;
    assert.equal(interrupted.exitCode, 130, interrupted.stderr);
    assert.match(interrupted.stderr, /stopping: finishing the rows in flight/);
    assert.match(interrupted.stderr, /interrupted: run the same command again to finish the rest/);
    const firstRun = await readRows(report);
    assert.ok(firstRun.length >= 20 && firstRun.length <= 100, `${firstRun.length} rows in the first report`);
    assert.ok(
      firstRun.every((entry) => entry.outcome === "created"),
      "every row the first run took was finished and created",
    );

    const file = join(dir.path, `${prefix}.csv`);
    await writeFile(file, `${header}\n${rows.join("\n")}\n`);
    const front = await startFront(server.url);
    try {
      const resumed = await runCli(["register", "--from", file, "--report", report, "--url", front.url, "--json"], { env });
      assert.equal(resumed.exitCode, 0, resumed.stderr);
      const summary = summaryOf(resumed.stdout);
      assert.deepEqual(
        [summary.created, summary.exists, summary.failed, summary.doneEarlier],
        [160 - firstRun.length, 0, 0, firstRun.length],
      );
      // No login, and no registration, for a row the first run finished: the rows done earlier cost nothing.
      const done = new Set(firstRun.map((entry) => entry.username));
      assert.deepEqual(
        front.requests.filter((request) => request.path !== "/account/register/" || done.has(request.username ?? "")),
        [],
      );
      assert.equal(front.requests.length, 160 - firstRun.length);
    } finally {
      await front.close();
    }

    const all = await readReport(report);
    const createdIn = new Map<string, number>();
    for (const entry of all.filter((row) => row.outcome === "created"))
      createdIn.set(entry.username ?? "", (createdIn.get(entry.username ?? "") ?? 0) + 1);
    assert.equal(createdIn.size, 160);
    assert.ok(
      [...createdIn.values()].every((count) => count === 1),
      "an account was created twice",
    );
    const accounts = new Map(rows.map((row, i) => [`${prefix}n${i}`, row.split(",")[2] || undefined]));
    await assertEveryAccountLogsIn(server.url, accounts, await readRows(report));
  });

  it("killed with -9 after the server made accounts it never reported, loses no password: the re-run reports them created", async () => {
    const prefix = uniqueName("kill");
    const rows = Array.from({ length: 20 }, (_, i) => JSON.stringify({ username: `${prefix}n${i}`, email: `${prefix}n${i}@example.com` }));
    const file = join(dir.path, `${prefix}.jsonl`);
    const report = join(dir.path, `${prefix}.report.jsonl`);
    await writeFile(file, `${rows.join("\n")}\n`);
    const front = await startAnswerKeepingFront(server.url, 5);
    try {
      const run = spawnCli(["register", "--from", file, "--report", report, "--url", front.url, "--concurrency", "3"], env);
      // Five rows reported, then three accounts made whose answers never arrive: kill the run there.
      await waitFor(
        "three unanswered registrations",
        async () => (await readRows(report)).filter((entry) => entry.outcome === "created").length >= 5 && front.kept() >= 3,
      );
      run.child.kill("SIGKILL");
      assert.equal((await run.result).exitCode, null);
    } finally {
      await front.close();
    }
    const left = await readRows(report);
    assert.deepEqual(
      left.map((entry) => entry.outcome).sort(),
      [...Array<string>(5).fill("created"), ...Array<string>(3).fill("pending")].sort(),
    );
    assert.ok(
      left.every((entry) => (entry.password ?? "").length >= 20),
      "a row sent without its password in the report",
    );
    assert.equal((await stat(report)).mode & 0o777, 0o600);

    const resumed = await runCli(["register", "--from", file, "--report", report, "--json"], { env });
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    const summary = summaryOf(resumed.stdout);
    assert.deepEqual([summary.created, summary.exists, summary.failed, summary.doneEarlier], [15, 0, 0, 5]);
    const created = (await readReport(report)).filter((entry) => entry.outcome === "created").map((entry) => entry.username);
    assert.equal(created.length, 20);
    assert.equal(new Set(created).size, 20, "an account was reported created twice");
    await assertEveryAccountLogsIn(server.url, new Map(rows.map((_, i) => [`${prefix}n${i}`, undefined])), await readRows(report));
  });

  it("resumed after a kill -9 at every stage of a row, finds every generated password by the report's rule, and sends only unsettled rows", async () => {
    const prefix = uniqueName("stages");
    const usernames = Array.from({ length: 20 }, (_, i) => `${prefix}n${i}`);
    const file = join(dir.path, `${prefix}.jsonl`);
    const report = join(dir.path, `${prefix}.report.jsonl`);
    await writeFile(file, `${usernames.map((username) => JSON.stringify({ username, email: `${username}@example.com` })).join("\n")}\n`);
    /** Every account the server has: each logs in with the password the rule finds for it. */
    const assertRuleFindsEveryAccount = async (made: Set<string>, when: string) => {
      const rows = new Map((await readRows(report)).map((entry) => [entry.username, entry]));
      for (const username of made) {
        const password = rows.get(username)?.password;
        assert.ok(password !== undefined, `${when}: no password for ${username} by the rule`);
        assert.equal(
          (await post(`${server.url}/account/login/`, { username, password })).status,
          200,
          `${when}: ${username} logs in with the password the rule finds`,
        );
      }
    };
    const killWhen = async (front: Awaited<ReturnType<typeof startFront>>, args: string[], what: string, state: () => Promise<boolean>) => {
      const run = spawnCli(["register", "--from", file, "--report", report, "--url", front.url, ...args], env);
      try {
        await waitFor(what, state);
      } finally {
        run.child.kill("SIGKILL");
        await run.result;
        await front.close();
      }
    };
    /** What a kill in the middle of writing the report's last line leaves: its first half. */
    const tearLastLine = async (pick: (entry: ReportEntry) => boolean) => {
      const lines = (await readFile(report, "utf8")).split("\n").filter((line) => line !== "");
      const index = lines.findLastIndex((line) => pick(JSON.parse(line) as ReportEntry));
      const [torn = ""] = lines.splice(index, 1);
      await writeFile(report, [...lines, torn.slice(0, Math.floor(torn.length / 2))].join("\n"));
      return JSON.parse(torn) as ReportEntry;
    };

    // Run 1: five rows answered; two made by the server, answers lost; two never reach the server; the rest not taken.
    let registrations = 0;
    const first = await startFront(server.url, (path) => {
      if (path !== "/account/register/") return "pass";
      registrations++;
      return registrations <= 5 ? "pass" : registrations <= 7 ? "keep" : "hold";
    });
    await killWhen(
      first,
      ["--concurrency", "4"],
      "five rows created, two answers kept, two requests held",
      async () =>
        first.kept() === 2 && first.held() === 2 && (await readRows(report)).filter((entry) => entry.outcome === "created").length === 5,
    );
    // ...and the kill came while the last outcome was being written: the account is made, its outcome torn.
    const torn = await tearLastLine((entry) => entry.outcome === "created");
    const made = new Set(first.requests.filter((request) => request.treatment !== "hold").map((request) => request.username ?? ""));
    const finished = new Set(
      [...made].filter(
        (username) => first.requests.find((request) => request.username === username)?.treatment === "pass" && username !== torn.username,
      ),
    );
    assert.deepEqual([made.size, finished.size], [7, 4]);
    await assertRuleFindsEveryAccount(made, "after the first kill");

    // Run 2: every request held; killed while the last pending entry was being written.
    const second = await startFront(server.url, () => "hold");
    await killWhen(second, ["--concurrency", "6"], "six requests held", () => Promise.resolve(second.held() === 6));
    await tearLastLine((entry) => entry.outcome === "pending");
    await assertRuleFindsEveryAccount(made, "after the second kill");
    assert.deepEqual(
      second.requests.filter((request) => finished.has(request.username ?? "")),
      [],
      "the second run sent a row the first one finished",
    );

    // Run 3: to the end, through a front that counts what is sent.
    const third = await startFront(server.url);
    try {
      const resumed = await runCli(["register", "--from", file, "--report", report, "--url", third.url, "--json"], { env });
      assert.equal(resumed.exitCode, 0, resumed.stderr);
      const summary = summaryOf(resumed.stdout);
      assert.deepEqual([summary.created, summary.exists, summary.failed, summary.doneEarlier], [16, 0, 0, 4]);
      const sent = (path: string) =>
        third.requests
          .filter((request) => request.path === path)
          .map((request) => request.username ?? "")
          .sort();
      assert.deepEqual(
        sent("/account/register/"),
        usernames.filter((username) => !finished.has(username)).sort(),
        "registrations of the rows not settled, and only those",
      );
      // A login only where the server made the account before: the torn outcome and the two lost answers.
      assert.deepEqual(sent("/account/login/"), [...made].filter((username) => !finished.has(username)).sort());
    } finally {
      await third.close();
    }
    const rows = await readRows(report);
    assert.deepEqual(
      rows.map((entry) => entry.outcome),
      Array<string>(20).fill("created"),
    );
    const created = (await readReport(report)).filter((entry) => entry.outcome === "created").map((entry) => entry.username);
    assert.equal(new Set(created).size, created.length, "an account was reported created twice");
    await assertEveryAccountLogsIn(server.url, new Map(usernames.map((username) => [username, undefined])), rows);
  });

  it("draws a live progress bar at a terminal, then the summary", async () => {
    const prefix = uniqueName("tty");
    const file = join(dir.path, `${prefix}.jsonl`);
    await writeFile(
      file,
      Array.from({ length: 200 }, (_, i) => JSON.stringify({ username: `${prefix}n${i}`, email: `${prefix}n${i}@example.com` })).join("\n"),
    );
    const term = pty.spawn(process.execPath, [AUTHCTL, "register", "--from", file], {
      env: { ...process.env, ...env, TERM: "xterm", NO_COLOR: "1" },
      cols: 120,
      rows: 30,
    });
    let screen = "";
    term.onData((data) => (screen += data));
    const exitCode = await new Promise<number>((resolve) =>
      term.onExit((exit) => {
        resolve(exit.exitCode);
      }),
    );
    assert.equal(exitCode, 0, screen);
    // The file is counted long before 200 bcrypt registrations finish, so the bar's last frame is full.
    assert.match(screen, /█{24} 200\/200 rows · [\d.]+\/s · ETA 0s · 0 failed/);
    assert.match(screen, /✓ created 200 · exists 0 · failed 0 · done earlier 0 · 200 rows in \d+s · [\d.]+ accounts\/s/);
    assert.doesNotMatch(screen, /[0-9a-f]{40}/, "a token was printed");
  });

  it(
    "keeps tokens only in the report, unless --save-tokens puts them in the keychain without switching accounts",
    { skip: keyringSkipReason() },
    async () => {
      const local = await configDir();
      const localEnv = { AUTHCTL_CONFIG_DIR: local.path, AUTHCTL_URL: server.url };
      try {
        const me = uniqueName("me");
        const registered = await runCli(["register", "-u", me, "-e", `${me}@example.com`, "--password-stdin"], {
          env: localEnv,
          input: "pw",
        });
        assert.equal(registered.exitCode, 0, registered.stderr);
        const names = [uniqueName("kept"), uniqueName("kept")];
        const file = join(dir.path, `${names[0]}.jsonl`);
        await writeFile(file, names.map((name) => JSON.stringify({ username: name, email: `${name}@example.com` })).join("\n"));
        const plain = await runCli(["register", "--from", file, "--report", `${file}.plain`], { env: localEnv });
        assert.equal(plain.exitCode, 0, plain.stderr);
        assert.deepEqual(
          names.map((name) => secretToolLookup(server.url, name)),
          ["", ""],
          "bulk mode stored a token without --save-tokens",
        );

        const saved = await runCli(["register", "--from", file, "--save-tokens", "--json"], { env: localEnv });
        assert.equal(saved.exitCode, 0, saved.stderr);
        assert.equal(
          summaryOf(saved.stdout).tokensSaved,
          0,
          "a generated password cannot log in again, so an existing account has no token to keep",
        );
        const fresh = [uniqueName("kept"), uniqueName("kept")];
        await writeFile(file, fresh.map((name) => JSON.stringify({ username: name, email: `${name}@example.com` })).join("\n"));
        const stored = await runCli(["register", "--from", file, "--save-tokens", "--report", `${file}.stored`], { env: localEnv });
        assert.equal(stored.exitCode, 0, stored.stderr);
        assert.match(stored.stderr, /tokens kept: 2 in the OS keychain/);
        const report = await readRows(`${file}.stored`);
        for (const name of fresh)
          assertSameSecret(
            secretToolLookup(server.url, name),
            report.find((entry) => entry.username === name)?.token ?? "",
            `the keychain entry of ${name}`,
          );
        const status = await runCli(["status", "--json"], { env: localEnv });
        const accounts = (JSON.parse(status.stdout) as { accounts: { username: string; active: boolean }[] }).accounts;
        assert.deepEqual(
          accounts.filter((account) => account.active).map((account) => account.username),
          [me],
        );
        assert.deepEqual(accounts.map((account) => account.username).sort(), [me, ...fresh].sort());
      } finally {
        await local.remove();
      }
    },
  );

  it("waits as long as a throttling server's Retry-After says, then registers", async () => {
    // A fake: the real server throttles registrations only when configured to, and a test cannot cheaply make it.
    const fake = await startFakeApi(
      (request, count) =>
        count === 1
          ? { status: 429, body: { detail: "Request was throttled. Expected available in 1 second." }, headers: { "retry-after": "1" } }
          : registerInstantly(request, count),
      { record: true },
    );
    try {
      const file = join(dir.path, `${uniqueName("throttled")}.jsonl`);
      await writeFile(
        file,
        ["a", "b", "c"].map((name) => JSON.stringify({ username: name, email: `${name}@example.com`, password: "pw" })).join("\n"),
      );
      const result = await runCli(["register", "--from", file, "--url", fake.url, "--concurrency", "1", "--json"], { env });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.deepEqual([summaryOf(result.stdout).created, summaryOf(result.stdout).failed], [3, 0]);
      assert.match(result.stderr, /the server asked to wait 1s; pausing/);
      assert.equal(fake.requests.length, 4);
      const [throttled, retried] = fake.requests;
      // A lower bound only: a busy machine makes the gap longer, never shorter.
      assert.ok(throttled && retried && retried.at - throttled.at >= 1000, "retried before Retry-After had passed");
      const report = await readReport(`${file}.report.jsonl`);
      assert.deepEqual(
        report.map((entry) => [entry.line, entry.outcome, entry.status]),
        [
          [1, "created", 201],
          [2, "created", 201],
          [3, "created", 201],
        ],
      );
    } finally {
      await fake.close();
    }
  });

  it("keeps memory flat over 100 000 rows", async () => {
    // A fake that answers at once: the real server spends a bcrypt hash per
    // account, which would make this test take minutes; the memory under test
    // is the CLI's, and the fake keeps nothing per request.
    const fake = await startFakeApi(registerInstantly);
    try {
      const file = join(dir.path, "big.csv");
      const lines = ["username,email,password"];
      for (let i = 0; i < 100_000; i++) lines.push(`big${i},big${i}@example.com,${i % 2 === 0 ? "" : `pw-${i}-long-enough`}`);
      await writeFile(file, `${lines.join("\n")}\n`);
      const rssFile = join(dir.path, "max-rss");
      const preload = fileURLToPath(new URL("../helpers/max-rss.mjs", import.meta.url));
      // Holding every row (or report entry) would need far more than a 64 MB heap.
      const run = spawnCli(
        ["register", "--from", file, "--url", fake.url, "--concurrency", "16", "--quiet", "--json"],
        {
          ...env,
          NODE_OPTIONS: `--import=${preload} --max-old-space-size=64`,
          AUTHCTL_TEST_MAX_RSS_FILE: rssFile,
        },
        300_000,
      );
      run.child.stdin.end();
      const result = await run.result;
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(summaryOf(result.stdout).created, 100_000);
      assert.equal(fake.count(), 100_000);
      assert.equal((await readRows(`${file}.report.jsonl`)).length, 100_000);
      const peakMiB = Number(await readFile(rssFile, "utf8")) / 1024;
      assert.ok(peakMiB < 256, `peak RSS ${peakMiB.toFixed(0)} MiB`);
    } finally {
      await fake.close();
    }
  });

  it("refuses bad invocations before sending anything", async () => {
    const file = join(dir.path, "header.csv");
    await writeFile(file, "user,email\nada,ada@example.com\n");
    const cases: [string[], RegExp][] = [
      [
        ["--from", file],
        /error: .*header\.csv line 1: unknown column "user"\nhint: the first line must name the columns: username,email\[,password\]/,
      ],
      [["--from", join(dir.path, "missing.csv")], /error: cannot read .*missing\.csv: no such file/],
      [["--from", join(dir.path, "rows.txt")], /error: cannot tell the format of .*rows\.txt\nhint: pass --format csv or --format jsonl/],
      [["--from", file, "--report", "-"], /error: the report cannot go to stdout: it holds tokens and passwords/],
      [["--from", "-", "--format", "csv"], /error: --report is required with --from -/],
      [["--from", file, "-u", "ada"], /error: --username cannot be combined with --from/],
      [["--from", file, "--concurrency", "0"], /error: --concurrency must be a whole number from 1 to 64, got "0"/],
      [
        ["--from", file, "--url", "http://accounts.example.invalid"],
        /error: refusing to send a password over plain HTTP to accounts\.example\.invalid/,
      ],
      [["--concurrency", "4"], /error: --concurrency only applies with --from/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["register", ...args], { env });
      assert.equal(result.exitCode, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    await assert.rejects(stat(`${file}.report.jsonl`), { code: "ENOENT" }, "a report was created for a bad header");
  });
});
