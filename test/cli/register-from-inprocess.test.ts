import assert from "node:assert/strict";
import { chmod, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Answer, Transport } from "../../packages/cli/src/api-client.js";
import { PasswordJournal } from "../../packages/cli/src/bulk/password-journal.js";
import { createProgress, describeProgress } from "../../packages/cli/src/bulk/progress.js";
import { ReportWriter } from "../../packages/cli/src/bulk/report.js";
import { runRegisterFrom, type BulkDeps, type Interrupts, type RegisterFromOptions } from "../../packages/cli/src/commands/register-from.js";
import { createContext, type Context } from "../../packages/cli/src/context.js";
import { ServerUnreachable } from "../../packages/cli/src/errors.js";
import type { Keychain } from "../../packages/cli/src/secrets/keychain.js";
import { readReport, waitFor, withoutSecrets } from "../helpers/bulk.js";
import { tempDir } from "../helpers/temp.js";

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
    press: () => { handlers.forEach((handler) => { handler(); }); },
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
    ctx = await createContext({ stdin: Readable.from([]), stdout: out, stderr: err, env: { AUTHCTL_CONFIG_DIR: dir.path }, json: false, color: false, keychain });
  });
  afterEach(() => dir.remove());

  async function run(rows: string[], transport: Transport, options: Partial<RegisterFromOptions> = {}, deps: Partial<BulkDeps> = {}) {
    const from = join(dir.path, "accounts.csv");
    await writeFile(from, `username,email,password\n${rows.join("\n")}\n`);
    const code = await runRegisterFrom({ from, url: URL, quiet: true, ...options }, ctx, { stderr: new PassThrough(), transport, retry: NO_WAIT, ...deps });
    return { code, report: await readReport(options.report ?? `${from}.report.jsonl`) };
  }

  it("retries 500, 503 and dropped connections, then creates the account", async () => {
    const script = [() => answer(500), () => answer(503), refused, () => answer(201, { username: "ada", email: "ada@example.com", token: token(1) })];
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
    assert.deepEqual(report.map(withoutSecrets), [{ line: 2, username: "ada", outcome: "created", status: 200, error: null }]);
    assert.ok(report[0]?.password === password && password.length >= 20, "the generated password is reported");
  });

  it("treats a retry's 'Email already exists!' as created when the row's password logs in after a try timed out", async () => {
    // Seen on a loaded machine: the first try outlived the client's timeout, the retry
    // passed validation before the first one's insert, and lost the race on the email.
    const sent: string[] = [];
    const transport: Transport = (_url, path, _method, body) =>
      answering(() => {
        sent.push(path);
        if (path === "/account/login/") return (body as { password: string }).password === "pw-of-ada" ? answer(200, { token: token(8) }) : answer(400, {});
        if (sent.length === 1) throw new ServerUnreachable(`cannot reach ${URL}: no answer within 10s`);
        return answer(400, { error: "Email already exists!" });
      });
    const { code, report } = await run(["ada,ada@example.com,pw-of-ada"], transport);
    assert.equal(code, 0, stderr);
    assert.deepEqual(sent, ["/account/register/", "/account/register/", "/account/login/"]);
    assert.deepEqual(report.map(withoutSecrets), [{ line: 2, username: "ada", outcome: "created", status: 200, error: null }]);
  });

  it("stops the run when the server cannot be reached, leaving the rest for the next run", async () => {
    const { code, report } = await run(["ada,ada@example.com,pw", "bob,bob@example.com,pw", "cy,cy@example.com,pw"], () => answering(refused), { concurrency: "1" });
    assert.equal(code, 3);
    assert.deepEqual(report, [{ line: 2, username: "ada", outcome: "failed", status: null, error: `cannot reach ${URL}: connection refused` }]);
    assert.match(stderr, /error: cannot reach http:\/\/127\.0\.0\.1:9: connection refused/);
  });

  it("stops at the first answer that says this is not the account API", async () => {
    const { code, report } = await run(["ada,ada@example.com,pw", "bob,bob@example.com,pw"], () => Promise.resolve(answer(404, { detail: "Not found." })), { concurrency: "1" });
    assert.equal(code, 3);
    assert.equal(report.length, 1);
    assert.match(stderr, /error: unexpected answer from http:\/\/127\.0\.0\.1:9\/account\/register\/: HTTP 404 \(Not found\.\)\nhint: check that --url/);
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
    setImmediate(() => { release(); });
    const { code, report } = await run(["ada,ada@example.com,pw", "bob,bob@example.com,pw"], transport, { concurrency: "1" }, { interrupts });
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
    assert.deepEqual(report.map(withoutSecrets), [{ line: 2, username: "ada", outcome: "created", status: 200, error: null }]);
    assert.ok(report[0]?.password === made, "the generated password is reported");
  });

  describe("password journal (<report>.pending)", () => {
    const journalPath = () => join(dir.path, "accounts.csv.report.jsonl.pending");
    const writeJournal = (lines: string[], mode = 0o600) => writeFile(journalPath(), lines.join("\n"), { mode }).then(() => chmod(journalPath(), mode));
    const taken = () => answer(400, { username: ["A user with that username already exists."] });
    const journaled = (username: string, password: string) => JSON.stringify({ username, password });

    it("logs in with a password an earlier, killed run wrote down, and reports the account it made as created", async () => {
      // ada's account was made but never reported; bob's was reported; the last line was cut by the kill.
      await writeJournal([journaled("ada", "journaled-password-of-ada"), journaled("bob", "bobs-old"), '{"username":"cy']);
      await writeFile(join(dir.path, "accounts.csv.report.jsonl"), `${JSON.stringify({ line: 3, username: "bob", outcome: "created", status: 201, error: null, token: token(2), password: "bobs-old" })}\n`, { mode: 0o600 });
      const sent: { path: string; body: Record<string, string> }[] = [];
      const transport: Transport = (_url, path, _method, body) =>
        answering(() => {
          const fields = body as Record<string, string>;
          sent.push({ path, body: fields });
          if (path === "/account/login/") return fields.password === "journaled-password-of-ada" ? answer(200, { token: token(1) }) : answer(400, {});
          if (fields.username === "cyd") return answer(201, { token: token(3) });
          return taken();
        });
      const { code, report } = await run(["ada,ada@example.com,", "bob,bob@example.com,", "cyd,cyd@example.com,"], transport);
      assert.equal(code, 0, stderr);
      const [ada, bob, cyd] = ["ada", "bob", "cyd"].map((username) => report.findLast((entry) => entry.username === username));
      assert.ok(ada && bob && cyd, "a row is missing from the report");
      assert.deepEqual(withoutSecrets(ada), { line: 2, username: "ada", outcome: "created", status: 200, error: null });
      assert.equal(ada.password, "journaled-password-of-ada", "the journaled password is reported");
      assert.equal(ada.token, token(1));
      assert.deepEqual(withoutSecrets(bob), { line: 3, username: "bob", outcome: "exists", status: 400, error: null });
      assert.equal(cyd.outcome, "created");
      assert.notEqual(sent.find((request) => request.body.username === "bob")?.body.password, "bobs-old", "a settled password is not used again");
      assert.deepEqual(sent.filter((request) => request.path === "/account/login/").map((request) => request.body.username), ["ada"]);
      await assert.rejects(stat(journalPath()), { code: "ENOENT" }, "the journal is removed once nothing is in doubt");
    });

    it("keeps the password of a row left in doubt (no answer) in the journal for the next run", async () => {
      const { code, report } = await run(["ada,ada@example.com,"], () => answering(() => answer(502, { detail: "Bad gateway." })));
      assert.equal(code, 1, stderr);
      assert.equal(report[0]?.outcome, "failed");
      assert.equal((await stat(journalPath())).mode & 0o777, 0o600);
      const kept = JSON.parse(await readFile(journalPath(), "utf8")) as { username: string; password: string };
      assert.equal(kept.username, "ada");
      assert.ok(kept.password.length >= 20, "the generated password is kept");
    });

    it("keeps the journaled password when logging in with it gets a 5xx: failed, for the next run", async () => {
      await writeJournal([journaled("ada", "journaled-password-of-ada")]);
      const transport: Transport = (_url, path) => answering(() => (path === "/account/login/" ? answer(500, { detail: "oops" }) : taken()));
      const { code, report } = await run(["ada,ada@example.com,"], transport);
      assert.equal(code, 1, stderr);
      assert.deepEqual(report.map(withoutSecrets), [{ line: 2, username: "ada", outcome: "failed", status: 500, error: "HTTP 500 (oops)" }]);
      assert.match(await readFile(journalPath(), "utf8"), /journaled-password-of-ada/);
    });

    it("counts a password already in the report as settled, though the kill came before its settled mark", async () => {
      await writeJournal([journaled("ada", "reported-password-of-ada")]);
      await writeFile(join(dir.path, "accounts.csv.report.jsonl"), `${JSON.stringify({ line: 2, username: "ada", outcome: "created", status: 201, error: null, token: token(1), password: "reported-password-of-ada" })}\n`, { mode: 0o600 });
      const paths: string[] = [];
      const { code, report } = await run(["ada,ada@example.com,"], (_url, path) => answering(() => (paths.push(path), taken())));
      assert.equal(code, 0, stderr);
      assert.deepEqual(report.map((entry) => entry.outcome), ["created", "exists"], "reported as created a second time");
      assert.deepEqual(paths, ["/account/register/"]);
      await assert.rejects(stat(journalPath()), { code: "ENOENT" });
    });

    it("leaves the journaled password alone when the row gives its own", async () => {
      await writeJournal([journaled("ada", "journaled-password-of-ada")]);
      const transport: Transport = (_url, path) => answering(() => (path === "/account/login/" ? answer(400, { non_field_errors: ["Unable to log in with provided credentials."] }) : taken()));
      const { code, report } = await run(["ada,ada@example.com,given-password"], transport);
      assert.equal(code, 1, stderr);
      assert.equal(report[0]?.outcome, "failed");
      assert.match(await readFile(journalPath(), "utf8"), /journaled-password-of-ada/);
    });

    it("refuses a journal others may write: its passwords could be planted", async () => {
      await writeJournal([journaled("ada", "planted")], 0o666);
      await assert.rejects(run(["ada,ada@example.com,"], () => answering(taken)), { name: "StorageFailed", message: /password journal .* is writable by others or not yours/ });
    });

    it("starts a line of its own after a line cut short by a kill", async () => {
      await writeJournal(['{"username":"old","passw']);
      const report = await ReportWriter.open(join(dir.path, "accounts.csv.report.jsonl"));
      const journal = await PasswordJournal.open(report);
      await journal.record("ada", "password-of-ada");
      // What a kill at this moment would leave: the torn line, then a whole one.
      const lines = (await readFile(journalPath(), "utf8")).split("\n");
      assert.deepEqual(lines.slice(1), [journaled("ada", "password-of-ada"), ""]);
      await journal.close();
      await report.close();
    });

    it("gives a report line cut short by a kill its newline, so the next line stands on its own", async () => {
      const path = join(dir.path, "accounts.csv.report.jsonl");
      await writeFile(path, '{"line":2,"username":"ada","outc', { mode: 0o600 });
      const report = await ReportWriter.open(path);
      await report.write({ line: 3, username: "bob", outcome: "exists", status: 400, error: null });
      await report.close();
      const [torn, next, end] = (await readFile(path, "utf8")).split("\n");
      assert.equal(torn, '{"line":2,"username":"ada","outc');
      assert.equal((JSON.parse(next ?? "") as { username: string }).username, "bob");
      assert.equal(end, "");
    });

    it("stops sending new passwords when another run replaced the journal, and adds its doubts to the file in place", async () => {
      const report = await ReportWriter.open(join(dir.path, "accounts.csv.report.jsonl"));
      const journal = await PasswordJournal.open(report);
      await journal.record("ada", "password-of-ada");
      const replacement = `${journalPath()}.other`;
      await writeFile(replacement, `${journaled("bob", "password-of-bob")}\n`, { mode: 0o600 });
      await rename(replacement, journalPath());
      await assert.rejects(journal.record("cyd", "password-of-cyd"), { name: "StorageFailed", message: /was replaced by another run writing the same report/ });
      await journal.close();
      await report.close();
      assert.equal(await readFile(journalPath(), "utf8"), `${journaled("bob", "password-of-bob")}\n${journaled("ada", "password-of-ada")}\n`);
    });

    it("lets one run at a time write a report; the second waits for the first", async () => {
      let releaseFirst!: () => void;
      const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
      const first = run(["ada,ada@example.com,pw"], async (_url, _path, _method, body) => {
        await firstHeld;
        return answer(201, { ...(body as object), token: token(1) });
      });
      await waitFor("the first run's lock", () => stat(join(dir.path, "accounts.csv.report.jsonl.lock")).then(() => true, () => false));
      const second = run(["ada,ada@example.com,pw"], () => answering(() => answer(201, { token: token(2) })), { quiet: false });
      await waitFor("the second run to wait", () => Promise.resolve(stderr.includes("waiting for another run writing")));
      releaseFirst();
      assert.equal((await first).code, 0, stderr);
      const { code, report } = await second;
      assert.equal(code, 0, stderr);
      assert.deepEqual(report.map((entry) => entry.token), [token(1), token(2)], "the runs' report lines are in lock order");
    });

    it("refuses an input that is the report's journal", async () => {
      const from = join(dir.path, "accounts.csv.report.jsonl.pending");
      await writeFile(from, "username,email\n");
      await assert.rejects(runRegisterFrom({ from, format: "csv", report: join(dir.path, "accounts.csv.report.jsonl"), url: URL }, ctx, { stderr: new PassThrough() }), { name: "UsageError", message: /nor the input its journal/ });
    });
  });

  it("with --save-tokens keeps each token in the keychain and leaves the active account alone", async () => {
    await ctx.tokens.save(URL, "me", token(99), false);
    const transport: Transport = (_url, _path, _method, body) => answering(() => answer(201, { ...(body as object), token: token((body as { username: string }).username.length) }));
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
    assert.equal(describeProgress({ created: 400, exists: 10, failed: 2 }, 1000, 5000), "412/1000 rows · 82.4/s · ETA 7s · 2 failed");
    assert.equal(describeProgress({ created: 40, exists: 0, failed: 0 }, undefined, 4000), "40 rows · 10.0/s · 0 failed");
  });

  it("prints a plain line every few seconds when stderr is not a terminal, and nothing with --quiet", async () => {
    let text = "";
    const stream = new PassThrough().on("data", (chunk: Buffer) => (text += chunk.toString()));
    const progress = await createProgress({ stream, quiet: false, startedAt: Date.now() - 1000, plainEveryMs: 5 });
    progress.setTotal(10);
    progress.update({ created: 3, exists: 1, failed: 1 });
    await waitFor("a progress line", () => Promise.resolve(text.includes("\n")));
    progress.stop();
    assert.match(text, /^progress: 5\/10 rows · [\d.]+\/s · ETA \d+s · 1 failed\n/);

    let quietText = "";
    const quietStream = new PassThrough().on("data", (chunk: Buffer) => (quietText += chunk.toString()));
    const quiet = await createProgress({ stream: quietStream, quiet: true, startedAt: Date.now(), plainEveryMs: 1 });
    quiet.update({ created: 1, exists: 0, failed: 0 });
    quiet.note("the server asked to wait 1s; pausing");
    quiet.stop();
    assert.equal(quietText, "");
  });
});
