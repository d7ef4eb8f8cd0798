import assert from "node:assert/strict";
import { chmod, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Answer, Transport } from "../../packages/cli/src/api-client.js";
import { createProgress, describeProgress } from "../../packages/cli/src/bulk/progress.js";
import { ReportWriter, type PendingEntry } from "../../packages/cli/src/bulk/report.js";
import {
  runRegisterFrom,
  type BulkDeps,
  type Interrupts,
  type RegisterFromOptions,
} from "../../packages/cli/src/commands/register-from.js";
import { createContext, type Context } from "../../packages/cli/src/context.js";
import { ServerUnreachable } from "../../packages/cli/src/errors.js";
import type { Keychain } from "../../packages/cli/src/secrets/keychain.js";
import { currentRows, readReport, withoutSecrets, type ReportEntry } from "../helpers/bulk.js";
import { tempDir } from "../helpers/temp.js";
import { waitFor } from "../helpers/wait.js";

// In process, through the Context seam: a scripted transport stands in for the server, so
// retries, give-ups and Ctrl-C are exact and take milliseconds.

const URL = "http://127.0.0.1:9";
const NO_WAIT = { attempts: 4, baseMs: 0, capMs: 0, random: () => 0 };
const token = (n: number) => n.toString(16).padStart(40, "0");
const answer = (status: number, body: unknown = {}, headers: Answer["headers"] = {}): Answer => ({ status, body, html: false, headers });
const refused = () => {
  throw new ServerUnreachable(`cannot reach ${URL}: connection refused`);
};
/** The transport's promise of `respond()`: a throw inside it becomes a rejection, as from an async function. */
const answering = (respond: () => Answer): Promise<Answer> =>
  new Promise((resolve) => {
    resolve(respond());
  });

class MemoryKeychain implements Keychain {
  readonly entries = new Map<string, string>();
  get(service: string, account: string) {
    return Promise.resolve(this.entries.get(`${service}|${account}`));
  }
  set(service: string, account: string, secret: string) {
    this.entries.set(`${service}|${account}`, secret);
    return Promise.resolve();
  }
  delete(service: string, account: string) {
    return Promise.resolve(this.entries.delete(`${service}|${account}`));
  }
}

/** A Ctrl-C button for the test to press. */
function fakeInterrupts(): Interrupts & { press(): void } {
  const handlers = new Set<() => void>();
  return {
    on(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    press: () => {
      handlers.forEach((handler) => {
        handler();
      });
    },
  };
}

describe("register --from in process", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let stderr: string;
  let stdout: string;
  let keychain: MemoryKeychain;
  let ctx: Context;
  beforeEach(async () => {
    dir = await tempDir("authctl-bulk-unit-");
    stderr = "";
    stdout = "";
    const err = new PassThrough().on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const out = new PassThrough().on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    keychain = new MemoryKeychain();
    ctx = await createContext(
      { stdin: Readable.from([]), stdout: out, stderr: err, env: { AUTHCTL_CONFIG_DIR: dir.path } },
      { json: false, color: false, keychain },
    );
  });
  afterEach(() => dir.remove());

  async function run(rows: string[], transport: Transport, options: Partial<RegisterFromOptions> = {}, deps: Partial<BulkDeps> = {}) {
    const from = options.from ?? join(dir.path, "accounts.csv");
    await writeFile(from, `username,email,password\n${rows.join("\n")}\n`);
    const code = await runRegisterFrom({ from, url: URL, quiet: true, ...options }, ctx, {
      stderr: new PassThrough(),
      interrupts: fakeInterrupts(),
      transport,
      retry: NO_WAIT,
      ...deps,
    });
    return { code, report: await readReport(options.report ?? `${from}.report.jsonl`) };
  }

  it("retries 500, 503 and dropped connections, then creates the account", async () => {
    const script = [
      () => answer(500),
      () => answer(503),
      refused,
      () => answer(201, { username: "ada", email: "ada@example.com", token: token(1) }),
    ];
    const { code, report } = await run(["ada,ada@example.com,pw"], () => answering(script.shift() ?? refused));
    assert.equal(code, 0, stderr);
    assert.deepEqual(report.map(withoutSecrets), [{ line: 2, username: "ada", outcome: "created", status: 201, error: null }]);
  });

  it("gives up after the last attempt and reports the server's last answer", async () => {
    let calls = 0;
    const { code, report } = await run(["ada,ada@example.com,pw"], () => {
      calls++;
      return Promise.resolve(answer(502, { detail: "Bad gateway." }));
    });
    assert.equal(code, 1);
    assert.equal(calls, NO_WAIT.attempts);
    assert.deepEqual(report, [{ line: 2, username: "ada", outcome: "failed", status: 502, error: "HTTP 502 (Bad gateway.)" }]);
  });

  it("treats an account made by an unanswered try as created when its generated password logs in", async () => {
    const sent: string[] = [];
    let password = "";
    const transport: Transport = (_url, path, _method, body) =>
      answering(() => {
        sent.push(path);
        const fields = body as Record<string, string>;
        if (path === "/account/login/") return fields.password === password ? answer(200, { token: token(7) }) : answer(400, {});
        if (sent.length === 1) {
          password = fields.password ?? "";
          return refused(); // the server made the account, but the answer was lost
        }
        return answer(400, { username: ["A user with that username already exists."] });
      });
    const { code, report } = await run(["ada,ada@example.com,"], transport);
    assert.equal(code, 0, stderr);
    assert.deepEqual(sent, ["/account/register/", "/account/register/", "/account/login/"]);
    const rows = currentRows(report);
    assert.deepEqual(rows.map(withoutSecrets), [{ line: 2, username: "ada", outcome: "created", status: 200, error: null }]);
    assert.ok(rows[0]?.password === password && password.length >= 20, "the generated password is reported");
  });

  it("treats a retry's 'Email already exists!' as created when the row's password logs in after a try timed out", async () => {
    // Seen on a loaded machine: the first try outlived the client's timeout, the retry
    // passed validation before the first one's insert, and lost the race on the email.
    const sent: string[] = [];
    const transport: Transport = (_url, path, _method, body) =>
      answering(() => {
        sent.push(path);
        if (path === "/account/login/")
          return (body as { password: string }).password === "pw-of-ada" ? answer(200, { token: token(8) }) : answer(400, {});
        if (sent.length === 1) throw new ServerUnreachable(`cannot reach ${URL}: no answer within 10s`);
        return answer(400, { error: "Email already exists!" });
      });
    const { code, report } = await run(["ada,ada@example.com,pw-of-ada"], transport);
    assert.equal(code, 0, stderr);
    assert.deepEqual(sent, ["/account/register/", "/account/register/", "/account/login/"]);
    assert.deepEqual(report.map(withoutSecrets), [{ line: 2, username: "ada", outcome: "created", status: 200, error: null }]);
  });

  it("stops the run when the server cannot be reached, leaving the rest for the next run", async () => {
    const { code, report } = await run(
      ["ada,ada@example.com,pw", "bob,bob@example.com,pw", "cy,cy@example.com,pw"],
      () => answering(refused),
      { concurrency: "1" },
    );
    assert.equal(code, 3);
    assert.deepEqual(report, [
      { line: 2, username: "ada", outcome: "failed", status: null, error: `cannot reach ${URL}: connection refused` },
    ]);
    assert.match(stderr, /error: cannot reach http:\/\/127\.0\.0\.1:9: connection refused/);
  });

  it("stops at the first answer that says this is not the account API", async () => {
    const { code, report } = await run(
      ["ada,ada@example.com,pw", "bob,bob@example.com,pw"],
      () => Promise.resolve(answer(404, { detail: "Not found." })),
      { concurrency: "1" },
    );
    assert.equal(code, 3);
    assert.equal(report.length, 1);
    assert.match(
      stderr,
      /error: unexpected answer from http:\/\/127\.0\.0\.1:9\/account\/register\/: HTTP 404 \(Not found\.\)\nhint: check that --url/,
    );
  });

  it("on Ctrl-C finishes the row in flight, takes no more, and exits 130", async () => {
    const interrupts = fakeInterrupts();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transport: Transport = async (_url, _path, _method, body) => {
      interrupts.press();
      await held.then(() => undefined);
      return answer(201, { ...(body as object), token: token(2) });
    };
    setImmediate(() => {
      release();
    });
    const { code, report } = await run(
      ["ada,ada@example.com,pw", "bob,bob@example.com,pw"],
      transport,
      { concurrency: "1" },
      { interrupts },
    );
    assert.equal(code, 130);
    assert.deepEqual(report.map(withoutSecrets), [{ line: 2, username: "ada", outcome: "created", status: 201, error: null }]);
  });

  it("on a second Ctrl-C gives up rows waiting to retry, leaving them out of the report", async () => {
    const interrupts = fakeInterrupts();
    const transport: Transport = () => {
      setImmediate(() => {
        interrupts.press();
        interrupts.press();
      });
      return Promise.resolve(answer(503, { detail: "busy" }, { "retry-after": "3600" }));
    };
    const { code, report } = await run(["ada,ada@example.com,pw"], transport, {}, { interrupts });
    assert.equal(code, 130);
    assert.deepEqual(report, []);
  });

  it("treats an account made by a try that got a 5xx as created when its generated password logs in", async () => {
    let made = "";
    const transport: Transport = (_url, path, _method, body) =>
      answering(() => {
        const fields = body as Record<string, string>;
        if (path === "/account/login/") return fields.password === made ? answer(200, { token: token(5) }) : answer(400, {});
        if (made !== "") return answer(400, { username: ["A user with that username already exists."] });
        made = fields.password ?? "";
        return answer(502, { detail: "Bad gateway." }); // a gateway gave up after the server made the account
      });
    const { code, report } = await run(["ada,ada@example.com,"], transport);
    assert.equal(code, 0, stderr);
    const rows = currentRows(report);
    assert.deepEqual(rows.map(withoutSecrets), [{ line: 2, username: "ada", outcome: "created", status: 200, error: null }]);
    assert.ok(rows[0]?.password === made, "the generated password is reported");
  });

  describe("the report as the record of earlier runs", () => {
    const reportPath = () => join(dir.path, "accounts.csv.report.jsonl");
    const writeReport = (entries: (object | string)[], mode = 0o600) =>
      writeFile(reportPath(), entries.map((entry) => (typeof entry === "string" ? entry : JSON.stringify(entry))).join("\n"), {
        mode,
      }).then(() => chmod(reportPath(), mode));
    const taken = () => answer(400, { username: ["A user with that username already exists."] });
    const pending = (line: number, username: string, password: string): PendingEntry => ({
      line,
      username,
      outcome: "pending",
      status: null,
      error: null,
      password,
    });
    const current = (entries: ReportEntry[]) => new Map(currentRows(entries).map((entry) => [`${entry.line} ${entry.username}`, entry]));

    it("logs in with the password of an earlier, killed run's pending entry, and reports the account it made as created", async () => {
      // ada's account was made but never reported; bob's was reported; the last line was cut by the kill.
      await writeReport([
        pending(2, "ada", "pending-password-of-ada"),
        pending(3, "bob", "bobs-old"),
        { line: 3, username: "bob", outcome: "created", status: 201, error: null, token: token(2), password: "bobs-old" },
        '{"line":4,"username":"cy',
      ]);
      const sent: { path: string; body: Record<string, string> }[] = [];
      const transport: Transport = (_url, path, _method, body) =>
        answering(() => {
          const fields = body as Record<string, string>;
          sent.push({ path, body: fields });
          if (path === "/account/login/")
            return fields.password === "pending-password-of-ada" ? answer(200, { token: token(1) }) : answer(400, {});
          if (fields.username === "cyd") return answer(201, { token: token(3) });
          return taken();
        });
      const { code, report } = await run(["ada,ada@example.com,", "bob,bob@example.com,", "cyd,cyd@example.com,"], transport);
      assert.equal(code, 0, stderr);
      const state = current(report);
      const [ada, bob, cyd] = ["2 ada", "3 bob", "4 cyd"].map((key) => state.get(key));
      assert.ok(ada && bob && cyd, "a row is missing from the report");
      assert.deepEqual(withoutSecrets(ada), { line: 2, username: "ada", outcome: "created", status: 200, error: null });
      assert.equal(ada.password, "pending-password-of-ada", "the pending password is reported");
      assert.equal(ada.token, token(1));
      assert.deepEqual(
        bob,
        { line: 3, username: "bob", outcome: "created", status: 201, error: null, token: token(2), password: "bobs-old" },
        "bob's state is the earlier run's",
      );
      assert.equal(cyd.outcome, "created");
      assert.deepEqual(
        sent.map((request) => `${request.path} ${request.body.username}`).sort(),
        ["/account/login/ ada", "/account/register/ ada", "/account/register/ cyd"],
        "bob was sent again",
      );
      assert.equal(
        sent.find((request) => request.body.username === "ada")?.body.password,
        "pending-password-of-ada",
        "the pending password is sent again, not a new one",
      );
    });

    it("skips without a request every row the report settles, counts it done earlier, and sends only the rest", async () => {
      const refusedEmail = "email: Enter a valid email address.";
      await writeReport([
        { line: 2, username: "made", outcome: "created", status: 201, error: null, token: token(1), password: "made-password" },
        { line: 3, username: "mine", outcome: "exists", status: 200, error: null, token: token(2) },
        { line: 4, username: "bademail", outcome: "failed", status: 400, error: refusedEmail, email: "nope", password: "bad-password" },
        { line: 5, username: null, outcome: "failed", status: null, error: "username is missing" },
        { line: 6, username: "theirs", outcome: "exists", status: 400, error: null, password: "theirs-password" },
        { line: 7, username: "busy", outcome: "failed", status: 502, error: "HTTP 502 (Bad gateway.)", password: "busy-password" },
        { line: 8, username: "fixed", outcome: "failed", status: 400, error: refusedEmail, email: "fixed-was-wrong" },
        {
          line: 9,
          username: "weak",
          outcome: "failed",
          status: 400,
          error: "password: This password is too common.",
          email: "weak@example.com",
        },
      ]);
      const before = await readFile(reportPath(), "utf8");
      const sent: string[] = [];
      const transport: Transport = (_url, path, _method, body) =>
        answering(() => {
          const { username } = body as Record<string, string>;
          sent.push(`${path} ${username}`);
          if (path === "/account/login/") return answer(400, { non_field_errors: ["Unable to log in with provided credentials."] });
          return username === "theirs" ? taken() : answer(201, { token: token(9) });
        });
      const rows = [
        "made,made@example.com,",
        "mine,mine@example.com,given-pw",
        "bademail,nope,",
        ",x@example.com,",
        "theirs,theirs@example.com,",
        "busy,busy@example.com,",
        "fixed,fixed@example.com,pw",
        "weak,weak@example.com,a-better-password",
        "fresh,fresh@example.com,",
      ];
      const { code, report } = await run(rows, transport, { quiet: false });
      assert.equal(code, 1, `rows that failed earlier still fail the run: ${stderr}`);
      assert.deepEqual(sent.sort(), [
        "/account/login/ theirs",
        "/account/register/ busy",
        "/account/register/ fixed",
        "/account/register/ fresh",
        "/account/register/ theirs",
        "/account/register/ weak",
      ]);
      assert.ok((await readFile(reportPath(), "utf8")).startsWith(before), "an earlier line was changed");
      const state = current(report);
      assert.deepEqual(
        ["2 made", "3 mine", "4 bademail", "5 null"].map((key) => state.get(key)?.outcome),
        ["created", "exists", "failed", "failed"],
      );
      assert.deepEqual(
        ["6 theirs", "7 busy", "8 fixed", "9 weak", "10 fresh"].map((key) => state.get(key)?.outcome),
        ["exists", "created", "created", "created", "created"],
      );
      assert.equal(state.get("7 busy")?.password, "busy-password", "the row in doubt was sent again with its password");
      assert.equal(state.get("6 theirs")?.password, "theirs-password");
      assert.match(stderr, /^created 4 · exists 1 · failed 0 · done earlier 4 \(2 failed\) · 9 rows in \d+s/m);
      assert.match(stderr, /^failed rows, with their line numbers: grep/m);
    });

    it("keeps the password of a row left in doubt (a 5xx) in its failed entry, and the next run finds its account", async () => {
      let made = "";
      const first = await run(["ada,ada@example.com,"], (_url, _path, _method, body) =>
        answering(() => {
          made = (body as Record<string, string>).password ?? "";
          return answer(502, { detail: "Bad gateway." });
        }),
      );
      assert.equal(first.code, 1, stderr);
      assert.deepEqual(
        first.report.map((entry) => [entry.outcome, entry.password]),
        [
          ["pending", made],
          ["failed", made],
        ],
      );
      assert.ok(made.length >= 20, "a generated password was sent");
      assert.equal((await stat(reportPath())).mode & 0o777, 0o600);
      const second = await run(["ada,ada@example.com,"], (_url, path, _method, body) =>
        answering(() =>
          path === "/account/login/"
            ? (body as Record<string, string>).password === made
              ? answer(200, { token: token(4) })
              : answer(400, {})
            : taken(),
        ),
      );
      assert.equal(second.code, 0, stderr);
      assert.deepEqual(current(second.report).get("2 ada"), {
        line: 2,
        username: "ada",
        outcome: "created",
        status: 200,
        error: null,
        token: token(4),
        password: made,
      });
    });

    it("keeps the pending password when logging in with it gets a 5xx: failed, with the password, for the next run", async () => {
      await writeReport([pending(2, "ada", "pending-password-of-ada")]);
      const transport: Transport = (_url, path) =>
        answering(() => (path === "/account/login/" ? answer(500, { detail: "oops" }) : taken()));
      const { code, report } = await run(["ada,ada@example.com,"], transport);
      assert.equal(code, 1, stderr);
      assert.deepEqual(current(report).get("2 ada"), {
        line: 2,
        username: "ada",
        outcome: "failed",
        status: 500,
        error: "HTTP 500 (oops)",
        password: "pending-password-of-ada",
      });
    });

    it("leaves an earlier pending password in the report when the row now gives its own", async () => {
      await writeReport([pending(2, "ada", "pending-password-of-ada")]);
      const transport: Transport = (_url, path) =>
        answering(() =>
          path === "/account/login/" ? answer(400, { non_field_errors: ["Unable to log in with provided credentials."] }) : taken(),
        );
      const { code, report } = await run(["ada,ada@example.com,given-password"], transport);
      assert.equal(code, 1, stderr);
      assert.equal(report.at(-1)?.outcome, "failed");
      assert.equal(report.at(-1)?.password, undefined, "a given password is never written");
      assert.equal(report[0]?.password, "pending-password-of-ada", "the earlier line is kept");
    });

    it("refuses a report others may write: its passwords could be planted", async () => {
      await writeReport([pending(2, "ada", "planted")], 0o666);
      await assert.rejects(
        run(["ada,ada@example.com,"], () => answering(taken)),
        { name: "StorageFailed", message: /report .* is writable by others or not yours/ },
      );
    });

    it("starts a line of its own after a line cut short by a kill, and syncs a pending entry before it resolves", async () => {
      await writeFile(reportPath(), '{"line":2,"username":"old","passw', { mode: 0o600 });
      const report = await ReportWriter.open(reportPath());
      await report.writePending({ line: 3, username: "ada", outcome: "pending", status: null, error: null, password: "password-of-ada" });
      // What a kill at this moment would leave: the torn line, then a whole one.
      const lines = (await readFile(reportPath(), "utf8")).split("\n");
      assert.deepEqual(lines.slice(1), [JSON.stringify(pending(3, "ada", "password-of-ada")), ""]);
      await report.close();
    });

    it("gives a report line cut short by a kill its newline, so the next line stands on its own", async () => {
      const path = reportPath();
      await writeFile(path, '{"line":2,"username":"ada","outc', { mode: 0o600 });
      const report = await ReportWriter.open(path);
      await report.write({ line: 3, username: "bob", outcome: "exists", status: 400, error: null });
      await report.close();
      const [torn, next, end] = (await readFile(path, "utf8")).split("\n");
      assert.equal(torn, '{"line":2,"username":"ada","outc');
      assert.equal((JSON.parse(next ?? "") as { username: string }).username, "bob");
      assert.equal(end, "");
    });

    it("stops sending passwords once the report was replaced under the run", async () => {
      const report = await ReportWriter.open(reportPath());
      await report.writePending(pending(2, "ada", "password-of-ada"));
      const replacement = `${reportPath()}.other`;
      await writeFile(replacement, "", { mode: 0o600 });
      await rename(replacement, reportPath());
      await assert.rejects(report.writePending(pending(3, "cyd", "password-of-cyd")), {
        name: "StorageFailed",
        message: /was removed or replaced while this run was writing it/,
      });
      await report.close();
    });

    it("lets one run at a time write a report; the second waits for the first, then reads what it did", async () => {
      let releaseFirst!: () => void;
      const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
      const first = run(["ada,ada@example.com,pw"], async (_url, _path, _method, body) => {
        await firstHeld;
        return answer(201, { ...(body as object), token: token(1) });
      });
      await waitFor("the first run's lock", () =>
        stat(`${reportPath()}.lock`).then(
          () => true,
          () => false,
        ),
      );
      const secondSent: string[] = [];
      const second = run(
        ["ada,ada@example.com,pw", "bob,bob@example.com,pw"],
        (_url, _path, _method, body) =>
          answering(() => (secondSent.push((body as { username: string }).username), answer(201, { token: token(2) }))),
        {
          quiet: false,
          from: join(dir.path, "second.csv"),
          report: reportPath(),
        },
      );
      await waitFor("the second run to wait", () => Promise.resolve(stderr.includes("waiting for another run writing")));
      releaseFirst();
      assert.equal((await first).code, 0, stderr);
      const { code, report } = await second;
      assert.equal(code, 0, stderr);
      assert.deepEqual(secondSent, ["bob"], "the second run sent a row the first had done");
      assert.deepEqual(
        report.map((entry) => entry.token),
        [token(1), token(2)],
        "the runs' report lines are in lock order",
      );
    });

    it("refuses an input that is the report", async () => {
      const from = reportPath();
      await writeFile(from, "username,email\n");
      await assert.rejects(
        runRegisterFrom({ from, format: "csv", report: from, url: URL }, ctx, { stderr: new PassThrough(), interrupts: fakeInterrupts() }),
        { name: "UsageError", message: /--report must not be the input file/ },
      );
    });
  });

  it("with --save-tokens keeps each token in the keychain and leaves the active account alone", async () => {
    await ctx.tokens.save(URL, "me", token(99), false);
    const transport: Transport = (_url, _path, _method, body) =>
      answering(() => answer(201, { ...(body as object), token: token((body as { username: string }).username.length) }));
    const { code } = await run(["ab,ab@example.com,pw", "abc,abc@example.com,"], transport, { saveTokens: true });
    assert.equal(code, 0, stderr);
    assert.equal(keychain.entries.get(`authctl:${URL}|ab`), token(2));
    assert.equal(keychain.entries.get(`authctl:${URL}|abc`), token(3));
    assert.equal((await ctx.tokens.find(URL))?.username, "me");
    assert.deepEqual((await ctx.tokens.list(URL)).map((account) => account.username).sort(), ["ab", "abc", "me"]);
  });
});

describe("register --from progress", () => {
  it("describes done/total, rate, ETA and failures, leaving out what is not known yet", () => {
    assert.equal(
      describeProgress({ created: 400, exists: 10, failed: 2, doneEarlier: 0, failedEarlier: 0 }, 1000, 5000),
      "412/1000 rows · 82.4/s · ETA 7s · 2 failed",
    );
    assert.equal(
      describeProgress({ created: 40, exists: 0, failed: 0, doneEarlier: 0, failedEarlier: 0 }, undefined, 4000),
      "40 rows · 10.0/s · 0 failed",
    );
    // Rows done earlier count as done, not in the rate: they cost nothing.
    assert.equal(
      describeProgress({ created: 10, exists: 0, failed: 0, doneEarlier: 500, failedEarlier: 0 }, 1000, 1000),
      "510/1000 rows · 10.0/s · ETA 49s · 0 failed",
    );
  });

  it("prints a plain line every few seconds when stderr is not a terminal, and nothing with --quiet", async () => {
    let text = "";
    const stream = new PassThrough().on("data", (chunk: Buffer) => (text += chunk.toString()));
    const progress = await createProgress({ stream, quiet: false, startedAt: Date.now() - 1000, plainEveryMs: 5 });
    progress.setTotal(10);
    progress.update({ created: 3, exists: 1, failed: 1, doneEarlier: 0, failedEarlier: 0 });
    await waitFor("a progress line", () => Promise.resolve(text.includes("\n")));
    progress.stop();
    assert.match(text, /^progress: 5\/10 rows · [\d.]+\/s · ETA \d+s · 1 failed\n/);

    let quietText = "";
    const quietStream = new PassThrough().on("data", (chunk: Buffer) => (quietText += chunk.toString()));
    const quiet = await createProgress({ stream: quietStream, quiet: true, startedAt: Date.now(), plainEveryMs: 1 });
    quiet.update({ created: 1, exists: 0, failed: 0, doneEarlier: 0, failedEarlier: 0 });
    quiet.note("the server asked to wait 1s; pausing");
    quiet.stop();
    assert.equal(quietText, "");
  });
});
