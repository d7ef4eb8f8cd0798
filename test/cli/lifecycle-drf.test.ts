import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { configDir, keyringSkipReason, runCli, type CliResult } from "../helpers/cli.js";
import { lifecycleReferenceSkipReason, startReference, type Reference } from "../helpers/drf-reference.js";
import { jsonObject, tokenJson } from "../helpers/json.js";
import { secretToolLookup } from "../helpers/keyring.js";
import { answer, startTerminal } from "../helpers/pty.js";
import { assertSameSecret } from "../helpers/secrets.js";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";
import { uniqueName } from "../helpers/temp.js";

// The lifecycle commands through the real binary, against the real thing: the DRF
// reference with dj-rest-auth 5.0.2, its reset mail received by a real SMTP server,
// tokens in the real OS keychain. Skipped, saying why, where the reference is not
// beside the repository (as in CI). Passwords, tokens and links never reach a message.

const skip = lifecycleReferenceSkipReason() || keyringSkipReason();
const PASSWORD = "first-Pass-9";
const CHANGED = "changed-Pass-9";
const RESET = "reset-Pass-9";

/** The link in Django's reset mail, never printed. */
function linkIn(mail: string): string {
  const link = /https?:\/\/\S+\/account\/password\/reset\/confirm\/\S+\/\S+\//.exec(mail)?.[0];
  assert.ok(link, "no reset link in the mail");
  return link;
}

function assertNothingSecret(result: CliResult | string, ...secrets: string[]): void {
  const printed = typeof result === "string" ? result : result.stdout + result.stderr;
  for (const secret of secrets) assert.ok(!printed.includes(secret), "a secret was printed");
}

describe("account lifecycle against the DRF reference with dj-rest-auth", { skip }, () => {
  let sink: SmtpSink;
  let reference: Reference;
  let config: Awaited<ReturnType<typeof configDir>>;
  let env: Record<string, string>;
  const cli = (args: string[], input?: string) => runCli(args, { env, ...(input === undefined ? {} : { input }) });

  before(async () => {
    sink = await startSmtpSink();
    reference = await startReference({ lifecycle: true, emailPort: sink.port });
    config = await configDir();
    env = { AUTHCTL_CONFIG_DIR: config.path, AUTHCTL_URL: reference.url };
  });
  after(async () => {
    await reference.close();
    await sink.close();
    await config.remove();
  });

  /** A new account, registered with the CLI, its token in the OS keychain. */
  async function register(): Promise<string> {
    const username = uniqueName("life");
    const result = await cli(["register", "-u", username, "-e", `${username}@example.com`, "--password-stdin"], PASSWORD);
    assert.equal(result.exitCode, 0, result.stderr);
    return username;
  }

  it("shows and edits the user; a new username renames the stored account in the OS keychain", async () => {
    const username = await register();
    const shown = await cli(["user", "--json"]);
    assert.equal(shown.exitCode, 0, shown.stderr);
    const { pk, ...rest } = jsonObject(shown.stdout);
    assert.equal(typeof pk, "number");
    assert.deepEqual(rest, { url: reference.url, username, email: `${username}@example.com`, firstName: "", lastName: "" });

    const names = await cli(["user", "edit", "--first-name", "Ada", "--last-name", "Lovelace"]);
    assert.equal(names.exitCode, 0, names.stderr);
    assert.match(
      names.stdout,
      new RegExp(
        `^pk +${String(pk)}\\nusername +${username}\\nemail +${username}@example\\.com\\nfirst name +Ada\\nlast name +Lovelace\\n$`,
      ),
    );

    const token = tokenJson((await cli(["token", "--json"])).stdout).token;
    const renamed = `${username}r`;
    const rename = await cli(["user", "edit", "--username", renamed, "--json"]);
    assert.equal(rename.exitCode, 0, rename.stderr);
    assert.equal(jsonObject(rename.stdout).username, renamed);
    assertSameSecret(secretToolLookup(reference.url, renamed), token, "the keychain entry under the new username");
    assert.equal(secretToolLookup(reference.url, username), "", "the old keychain entry is still there");
    const status = await cli(["status", "--json"]);
    assert.equal(status.exitCode, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`"username": "${renamed}"`));

    const invalid = await cli(["user", "edit", "--username", "not valid!"]);
    assert.equal(invalid.exitCode, 1);
    assert.match(
      invalid.stderr,
      /^error: username: Enter a valid username\. This value may contain only letters, numbers, and @\/\.\/\+\/-\/_ characters\.\n$/,
    );
  });

  it("says Django's password rules and a wrong current password per field: exit 1, DRF's words in --json", async () => {
    const username = await register();
    const weak = await cli(["password", "change", "--password-stdin"], `${PASSWORD}\n1234\n`);
    assert.equal(weak.exitCode, 1);
    assert.equal(
      weak.stderr,
      `Changing the password of ${username} at ${reference.url}\n` +
        "error: new password: This password is too short. It must contain at least 8 characters.\n" +
        "new password: This password is too common.\nnew password: This password is entirely numeric.\n",
    );
    const json = await cli(["password", "change", "--password-stdin", "--json"], `${PASSWORD}\n1234\n`);
    assert.equal(json.exitCode, 1);
    const messages = [
      "This password is too short. It must contain at least 8 characters.",
      "This password is too common.",
      "This password is entirely numeric.",
    ];
    assert.deepEqual(JSON.parse(json.stdout), {
      error: {
        code: "server_refused",
        message: messages.map((text) => `new_password2: ${text}`).join("\n"),
        details: { new_password2: messages },
      },
    });
    const wrong = await cli(["password", "change", "--password-stdin"], `not-the-password\n${CHANGED}\n`);
    assert.equal(wrong.exitCode, 1);
    assert.match(
      wrong.stderr,
      new RegExp(
        `error: current password: is wrong\\nhint: forgot it\\? ask for a reset link: authctl password reset --url ${reference.url} --email ADDRESS\\n$`,
      ),
    );
    const lines = await cli(["password", "change", "--password-stdin"], `${PASSWORD}\n`);
    assert.equal(lines.exitCode, 2);
    assert.match(lines.stderr, /error: --password-stdin takes 2 lines on stdin: the current password, then the new one; got 1 line\n/);
    assertNothingSecret(weak.stderr + json.stdout + wrong.stderr + lines.stderr, PASSWORD, CHANGED);
  });

  it("changes the password; the stored token keeps working and the new password logs in", async () => {
    const username = await register();
    const token = tokenJson((await cli(["token", "--json"])).stdout).token;
    const change = await cli(["password", "change", "--password-stdin"], `${PASSWORD}\n${CHANGED}\n`);
    assert.equal(change.exitCode, 0, change.stderr);
    assert.match(
      change.stderr,
      new RegExp(
        `✓ Changed the password of ${username} at .*\\nThe token keeps working, here and on every other client of the account: DRF keeps it when the password changes \\(to revoke it too: authctl logout\\)\\n$`,
      ),
    );
    const json = await cli(["password", "change", "--password-stdin", "--json"], `${CHANGED}\n${CHANGED}x\n`);
    assert.deepEqual(JSON.parse(json.stdout), { url: reference.url, username, detail: "New password has been saved." });
    const user = await cli(["user"]);
    assert.equal(user.exitCode, 0, `the stored token no longer works: ${user.stderr}`);
    const login = await cli(["login", "-u", username, "--password-stdin", "--no-store"], `${CHANGED}x`);
    assert.equal(login.exitCode, 0, login.stderr);
    assertSameSecret(login.stdout.trim(), token, "the token after a password change");
    const old = await cli(["login", "-u", username, "--password-stdin", "--no-store"], PASSWORD);
    assert.equal(old.exitCode, 1);
    assertNothingSecret(change, PASSWORD, CHANGED);
  });

  it("resets a forgotten password with the link from a real mail, received over SMTP", async () => {
    const username = await register();
    const other = await cli(["password", "reset", "--email", "nobody-here@example.com"]);
    assert.equal(other.exitCode, 0, other.stderr);
    const request = await cli(["password", "reset", "--email", `${username.toUpperCase()}@EXAMPLE.com`, "--json"]);
    assert.equal(request.exitCode, 0, request.stderr);
    assert.deepEqual(JSON.parse(request.stdout), {
      url: reference.url,
      email: `${username.toUpperCase()}@EXAMPLE.com`,
      detail: "Password reset e-mail has been sent.",
    });
    // The unknown address got no mail: the first to arrive is this account's.
    const mail = await sink.next();
    assert.match(mail, new RegExp(`^To: ${username}@example\\.com$`, "m"));
    assert.match(mail, new RegExp(`^Subject: Password reset on ${reference.url.replace("http://", "").replace(/\./g, "\\.")}$`, "m"));
    const link = linkIn(mail);
    const secret = link.split("/confirm/")[1] ?? link;

    const weak = await cli(["password", "reset", "--link", "-", "--password-stdin"], `${link}\n1234\n`);
    assert.equal(weak.exitCode, 1);
    assert.match(weak.stderr, /error: new password: This password is too short\. It must contain at least 8 characters\.\n/);
    const reset = await cli(["password", "reset", "--link", "-", "--password-stdin"], `${link}?pasted=1\r\n${RESET}\r\n`);
    assert.equal(reset.exitCode, 0, reset.stderr);
    assert.equal(
      reset.stderr,
      `Setting a new password at ${reference.url}\n✓ Set the new password at ${reference.url}; the link is spent\nLog in with it: authctl login --url ${reference.url}\n`,
    );
    const spent = await cli(["password", "reset", "--link", "-", "--password-stdin", "--json"], `${link}\n${RESET}x\n`);
    assert.equal(spent.exitCode, 1);
    assert.deepEqual(JSON.parse(spent.stdout), {
      error: { code: "server_refused", message: "token: Invalid value", details: { token: ["Invalid value"] } },
    });
    const spentPlainly = await cli(["password", "reset", "--link", "-", "--password-stdin"], `${link}\n${RESET}x\n`);
    assert.match(spentPlainly.stderr, /error: link: not valid \(cut short, already used, or expired\)\nhint: a reset link works once/);
    const login = await cli(["login", "-u", username, "--password-stdin", "--no-store"], RESET);
    assert.equal(login.exitCode, 0, login.stderr);
    for (const result of [request, weak, reset, spent, spentPlainly]) assertNothingSecret(result, secret, RESET);
  });

  it("warns that a link given as an argument shows in the process list", async () => {
    // A made-up link: a real one never goes on a command line, in tests either.
    const result = await cli(
      ["password", "reset", "--link", `${reference.url}/account/password/reset/confirm/MQ/made-up/`, "--password-stdin"],
      RESET,
    );
    assert.equal(result.exitCode, 1);
    assert.match(
      result.stderr,
      /^warning: a reset link given as an argument can be read by other users of this machine in the process list, and stays in the shell's history; use --link - to paste it at a prompt or pipe it on stdin\n/,
    );
  });

  it("asks for the passwords and the link, hidden, in a real terminal", async () => {
    await register();
    const change = startTerminal(["password", "change"], env);
    await answer(change, [
      [/Current password/, PASSWORD],
      [/New password/, CHANGED],
      [/New password \(again\)/, CHANGED],
    ]);
    assert.equal(await change.exited, 0, change.screen());
    assert.match(change.screen(), /The token keeps working/);
    assertNothingSecret(change.screen(), PASSWORD, CHANGED);

    const email = jsonObject((await cli(["user", "--json"])).stdout).email;
    assert.equal(typeof email, "string");
    const request = await cli(["password", "reset", "--email", String(email)]);
    assert.equal(request.exitCode, 0, request.stderr);
    const link = linkIn(await sink.next());
    const reset = startTerminal(["password", "reset", "--link", "-"], env);
    await answer(reset, [
      [/Reset link \(from the mail\)/, link],
      [/New password/, RESET],
      [/New password \(again\)/, RESET],
    ]);
    assert.equal(await reset.exited, 0, "the reset at the terminal failed");
    assert.match(reset.screen(), /Set the new password at/);
    assertNothingSecret(reset.screen(), link.split("/confirm/")[1] ?? link, RESET);
  });

  describe("a DRF app without dj-rest-auth", () => {
    let plain: Reference;
    let plainEnv: Record<string, string>;
    before(async () => {
      plain = await startReference({ lifecycle: false });
      plainEnv = { AUTHCTL_CONFIG_DIR: config.path, AUTHCTL_URL: plain.url };
    });
    after(() => plain.close());

    it("says plainly that the server does not offer the command: exit 3, not_offered in --json", async () => {
      const username = uniqueName("plain");
      const registered = await runCli(["register", "-u", username, "-e", `${username}@example.com`, "--password-stdin"], {
        env: plainEnv,
        input: PASSWORD,
      });
      assert.equal(registered.exitCode, 0, registered.stderr);
      const user = await runCli(["user"], { env: plainEnv });
      assert.equal(user.exitCode, 3);
      assert.match(
        user.stderr,
        new RegExp(
          `^error: ${plain.url} does not offer user details: GET /account/user/ answered HTTP 404\\nhint: these commands need dj-rest-auth's endpoints under /account/`,
        ),
      );
      const reset = await runCli(["password", "reset", "--email", `${username}@example.com`, "--json"], { env: plainEnv });
      assert.equal(reset.exitCode, 3);
      assert.deepEqual(JSON.parse(reset.stdout), {
        error: {
          code: "not_offered",
          message: `${plain.url} does not offer password reset by e-mail: OPTIONS /account/password/reset/ answered HTTP 404`,
        },
      });
      const change = await runCli(["password", "change", "--password-stdin"], { env: plainEnv, input: `${PASSWORD}\n${CHANGED}\n` });
      assert.equal(change.exitCode, 3);
      assert.match(change.stderr, /does not offer password change: OPTIONS \/account\/password\/change\/ answered HTTP 404/);
    });
  });
});
