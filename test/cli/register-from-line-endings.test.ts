import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readReport, withoutSecrets, type ReportEntry } from "../helpers/bulk.js";
import { openCliSetup, runCli, type TestServer } from "../helpers/cli.js";
import { post } from "../helpers/server.js";
import { tempDir, uniqueName } from "../helpers/temp.js";

type Expected = Omit<ReportEntry, "token" | "password">;

/** One input row: its text, the line ending after it, and the report entry it should earn. */
interface Row {
  text: string;
  end: "\r\n" | "\n" | "\r";
  expect?: Omit<Expected, "line">;
}

const created = (username: string): Omit<Expected, "line"> => ({ username, outcome: "created", status: 201, error: null });
const refused = (username: string | null, error: string): Omit<Expected, "line"> => ({ username, outcome: "failed", status: null, error });
const byLine = (a: { line: number }, b: { line: number }) => a.line - b.line;

/** The file's text and the report it should earn, each row numbered by the physical line it starts on (any line ending counts once). */
function build(rows: Row[]): { text: string; expected: Expected[] } {
  let line = 1;
  const expected: Expected[] = [];
  let text = "";
  for (const row of rows) {
    if (row.expect) expected.push({ line, ...row.expect });
    text += row.text + row.end;
    line += 1 + (row.text.match(/\r\n|\r|\n/g)?.length ?? 0);
  }
  return { text, expected };
}

describe("authctl register --from with any line endings", () => {
  let server: TestServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let env: Record<string, string>;
  let close: () => Promise<void>;
  before(async () => {
    ({ server, env, close } = await openCliSetup());
    dir = await tempDir("authctl-bulk-eol-");
  });
  after(async () => {
    await close();
    await dir.remove();
  });

  /** Runs the real CLI on `text` and returns its result and the report's entries. */
  async function register(name: string, text: string) {
    const file = join(dir.path, name);
    await writeFile(file, text);
    const result = await runCli(["register", "--from", file, "--json", "--quiet"], { env });
    return { result, report: await readReport(`${file}.report.jsonl`), reportText: await readFile(`${file}.report.jsonl`, "utf8") };
  }

  const login = async (username: string, password: string) => (await post(`${server.url}/account/login/`, { username, password })).status;

  for (const [header, rowsEnd] of [
    ["\r\n", "\n"],
    ["\n", "\r\n"],
    ["\r", "\n"],
  ] as const) {
    const name = (end: string) => JSON.stringify(end).slice(1, -1);
    it(`reads a header ending in ${name(header)} and rows ending in ${name(rowsEnd)}: every row is an account with the password as written`, async () => {
      const prefix = uniqueName("eol");
      const users = [0, 1, 2, 3].map((i) => ({ username: `${prefix}n${i}`, password: `pw-${i}-long-enough` }));
      const { text, expected } = build([
        { text: "username,email,password", end: header },
        ...users.map(({ username, password }): Row => ({
          text: `${username},${username}@example.com,${password}`,
          end: rowsEnd,
          expect: created(username),
        })),
      ]);
      const { result, report } = await register(`${prefix}.csv`, text);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.deepEqual(report.map(withoutSecrets).sort(byLine), expected);
      for (const { username, password } of users) {
        assert.equal(await login(username, password), 200, `${username} logs in with the password as written`);
        assert.equal(await login(username, `${password}\r`), 400, `${username}'s password does not end in a carriage return`);
      }
    });
  }

  it("reads CRLF, LF and CR mixed row by row, blank lines and quoted line breaks included, numbering rows by their physical lines", async () => {
    const prefix = uniqueName("mix");
    const user = (i: number) => `${prefix}n${i}`;
    const row = (i: number, end: Row["end"]): Row => ({
      text: `${user(i)},${user(i)}@example.com,pw-${i}-long-enough`,
      end,
      expect: created(user(i)),
    });
    const { text, expected } = build([
      { text: "username,email,password", end: "\r\n" },
      row(0, "\n"),
      row(1, "\r"),
      { text: "", end: "\r\n" },
      row(2, "\r\n"),
      { text: "", end: "\r" },
      { text: `"${user(3)}","${user(3)}@example.com","pw-3-long-enough"`, end: "\r", expect: created(user(3)) },
      {
        text: `${user(4)},"${user(4)}@example.com","two\r\nlines"`,
        end: "\n",
        expect: refused(user(4), "password contains a control character (U+000D)"),
      },
      row(5, "\r"),
      row(6, "\n"),
    ]);
    const { result, report } = await register(`${prefix}.csv`, text);
    assert.equal(result.exitCode, 1, result.stderr);
    assert.deepEqual(report.map(withoutSecrets).sort(byLine), expected);
    for (const i of [0, 1, 2, 3, 5, 6]) assert.equal(await login(user(i), `pw-${i}-long-enough`), 200, user(i));
    assert.equal(await login(user(4), "two\r\nlines"), 400, "the refused row made no account");
  });

  it("refuses any field holding a control character, row by row, never sending the row or echoing the password", async () => {
    const prefix = uniqueName("ctl");
    const user = (i: number) => `${prefix}n${i}`;
    const secrets: [secret: string, codePoint: string][] = [
      ["tab\there-secret", "U+0009"],
      ["bell\u0007secret", "U+0007"],
      ["nul\u0000secret", "U+0000"],
      ["del\u007fsecret", "U+007F"],
      ["c1\u0085secret", "U+0085"],
    ];
    const rows: Row[] = [
      { text: "username,email,password", end: "\n" },
      { text: `${user(0)},${user(0)}@example.com,good-password-0`, end: "\n", expect: created(user(0)) },
      ...secrets.map(([secret, codePoint], i): Row => ({
        text: `${user(i + 1)},${user(i + 1)}@example.com,"${secret}"`,
        end: "\n",
        expect: refused(user(i + 1), `password contains a control character (${codePoint})`),
      })),
      {
        text: `${user(9)}\u001b[31m,${user(9)}@example.com,good-password-9`,
        end: "\n",
        expect: refused(`${user(9)}\u001b[31m`, "username contains a control character (U+001B)"),
      },
      {
        text: `${user(10)},${user(10)}@exam\tple.com,good-password-10`,
        end: "\n",
        expect: refused(user(10), "email contains a control character (U+0009)"),
      },
    ];
    const { text, expected } = build(rows);
    const { result, report, reportText } = await register(`${prefix}.csv`, text);
    assert.equal(result.exitCode, 1, result.stderr);
    assert.deepEqual(report.map(withoutSecrets).sort(byLine), expected);
    assert.equal(await login(user(0), "good-password-0"), 200);
    for (const [i, [secret]] of secrets.entries()) {
      assert.equal(await login(user(i + 1), secret), 400, `${user(i + 1)} was not created`);
      for (const output of [result.stdout, result.stderr, reportText])
        assert.ok(!output.includes(JSON.stringify(secret).slice(1, -1)) && !output.includes(secret), "a refused password was echoed");
    }
  });

  it("refuses a JSON Lines password holding a control character, as in CSV", async () => {
    const prefix = uniqueName("jlctl");
    const user = (i: number) => `${prefix}n${i}`;
    const line = (i: number, password: string) => JSON.stringify({ username: user(i), email: `${user(i)}@example.com`, password });
    const text = [line(0, "good-password-0"), line(1, "ends-in-cr\r"), line(2, "has\nnewline"), line(3, "good-password-3")].join("\n");
    const { result, report, reportText } = await register(`${prefix}.jsonl`, `${text}\n`);
    assert.equal(result.exitCode, 1, result.stderr);
    assert.deepEqual(report.map(withoutSecrets).sort(byLine), [
      { line: 1, ...created(user(0)) },
      { line: 2, ...refused(user(1), "password contains a control character (U+000D)") },
      { line: 3, ...refused(user(2), "password contains a control character (U+000A)") },
      { line: 4, ...created(user(3)) },
    ]);
    assert.equal(await login(user(1), "ends-in-cr\r"), 400);
    assert.equal(await login(user(1), "ends-in-cr"), 400, "no account under the refused row's name");
    assert.doesNotMatch(reportText + result.stdout + result.stderr, /ends-in-cr|has\\nnewline/, "a refused password was echoed");
  });
});
