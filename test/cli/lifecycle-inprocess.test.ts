import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, it } from "node:test";
import { runLogin } from "../../packages/cli/src/commands/login.js";
import { runPasswordChange } from "../../packages/cli/src/commands/password-change.js";
import { parseResetLink, runPasswordReset } from "../../packages/cli/src/commands/password-reset.js";
import { runUserEdit } from "../../packages/cli/src/commands/user-edit.js";
import { runUser } from "../../packages/cli/src/commands/user.js";
import { NotLoggedIn, NotOffered, ServerRefused, UsageError } from "../../packages/cli/src/errors.js";
import { terminalPrompter } from "../../packages/cli/src/prompter.js";
import { serviceFor } from "../../packages/cli/src/secrets/token-store.js";
import { fakeConfigDir, FakeApi, fakeContext, MemoryKeychain, type FakeRun, type FakeSetup } from "../helpers/fakes.js";
import { jsonObject } from "../helpers/json.js";
import { assertSameSecret } from "../helpers/secrets.js";

// The account lifecycle commands in process, through the Context seam with fakes;
// test/cli/lifecycle-drf.test.ts runs them through the binary against the DRF reference.
// Passwords and links below are test values; no assertion message quotes one.

const URL_A = "http://127.0.0.1:8101";
const LINK = (uid: string, token: string) => `https://app.example.com/account/password/reset/confirm/${uid}/${token}/`;

/** A refusal as a person sees it, and as --json reports it. */
function refused(check: (error: ServerRefused) => boolean) {
  return (error: unknown) => error instanceof ServerRefused && check(error);
}

describe("account lifecycle commands in process, with fakes", () => {
  let dir: Awaited<ReturnType<typeof fakeConfigDir>>;
  let api: FakeApi;
  let keychain: MemoryKeychain;
  const run = (setup: FakeSetup = {}) => fakeContext({ dir: dir.path, api, keychain, ...setup });
  /** The same, with the real prompter and no terminal: a missing value is a usage error, as in a script. */
  const scripted = (setup: FakeSetup = {}): FakeRun => {
    const out = run({ stdin: "", ...setup });
    return { ...out, ctx: { ...out.ctx, prompter: terminalPrompter({ input: out.ctx.stdin, output: new PassThrough() }) } };
  };

  beforeEach(async () => {
    dir = await fakeConfigDir();
    api = new FakeApi();
    keychain = new MemoryKeychain();
    api.addUser("ada", "old-password-1");
    await runLogin({ url: URL_A, username: "ada", passwordStdin: true }, run({ stdin: "old-password-1" }).ctx);
  });
  afterEach(() => dir.remove());

  describe("password change", () => {
    it("asks for the current password, then the new one twice, and says the token keeps working", async () => {
      const token = api.tokenOf("ada") ?? "";
      const out = run({ answers: ["old-password-1", "new-password-1", "new-password-1"] });
      await runPasswordChange({}, out.ctx);
      assert.deepEqual(out.prompter.asked, ["Current password", "New password", "New password (again)"]);
      assert.equal(api.users.get("ada")?.password, "new-password-1", "the new password was not set");
      assert.match(
        out.stderr(),
        /^Changing the password of ada at http:\/\/127\.0\.0\.1:8101\n✓ Changed the password of ada at .*\nThe token keeps working, here and on every other client of the account: DRF keeps it/,
      );
      assertSameSecret(api.tokenOf("ada"), token, "the token on the server");
      assertSameSecret(
        await out.ctx.tokens.read({ url: URL_A, username: "ada", storage: "keychain", active: true, current: true }),
        token,
        "the stored token",
      );
    });

    it("asks the new password again when the two differ, before sending anything", async () => {
      const out = run({ answers: ["old-password-1", "new-password-1", "new-password-2", "new-password-3", "new-password-3"] });
      await runPasswordChange({}, out.ctx);
      assert.match(out.stderr(), /warning: the passwords differ; try again/);
      assert.equal(api.users.get("ada")?.password, "new-password-3");
    });

    it("reads the current and the new password from stdin, one a line, CRLF or not", async () => {
      for (const [stdin, next] of [
        ["old-password-1\nnew-password-1\n", "new-password-1"],
        ["new-password-1\r\nnew-password-2", "new-password-2"],
      ] as const) {
        const out = run({ stdin, json: true });
        await runPasswordChange({ passwordStdin: true }, out.ctx);
        assert.deepEqual(jsonObject(out.stdout()), { url: URL_A, username: "ada", detail: "New password has been saved." });
        assert.equal(api.users.get("ada")?.password, next);
      }
    });

    it("refuses stdin that is not two non-empty lines, without quoting it", async () => {
      for (const stdin of ["only-one-line\n", "a\nb\nc\n", "a\n\n", ""]) {
        const out = run({ stdin });
        await assert.rejects(runPasswordChange({ passwordStdin: true }, out.ctx), (error: unknown) => {
          assert.ok(error instanceof UsageError);
          assert.match(error.message, /^--password-stdin takes 2 lines on stdin: the current password, then the new one; /);
          assert.ok(!/only-one-line/.test(error.message), "the input was quoted back");
          return true;
        });
      }
      assert.ok(!api.calls.some((call) => call.startsWith("POST")), "something was sent");
    });

    it("says a wrong current password and Django's password rules plainly, per field, with the server's words for --json", async () => {
      await assert.rejects(
        runPasswordChange({ passwordStdin: true }, run({ stdin: "wrong\nnew-password-1" }).ctx),
        refused(
          (error) =>
            error.human === "current password: is wrong" &&
            /^forgot it\? ask for a reset link: authctl password reset --url http:\/\/127\.0\.0\.1:8101 --email/.test(error.hint ?? ""),
        ),
      );
      await assert.rejects(
        runPasswordChange({ passwordStdin: true }, run({ stdin: "old-password-1\nshort" }).ctx),
        refused(
          (error) =>
            error.human === "new password: This password is too short. It must contain at least 8 characters." &&
            JSON.stringify(error.details) ===
              JSON.stringify({ new_password2: ["This password is too short. It must contain at least 8 characters."] }),
        ),
      );
      assert.equal(api.users.get("ada")?.password, "old-password-1");
    });

    it("stops before asking anything on a server without the endpoint or that rejects the token", async () => {
      api.hasLifecycle = false;
      const missing = run({ answers: ["x", "y", "y"] });
      await assert.rejects(
        runPasswordChange({}, missing.ctx),
        (error: unknown) => error instanceof NotOffered && /does not offer password change/.test(error.message),
      );
      assert.deepEqual(missing.prompter.asked, []);
      api.hasLifecycle = true;
      const user = api.users.get("ada");
      if (user) delete user.token;
      const rejected = run({ answers: ["x", "y", "y"] });
      await assert.rejects(
        runPasswordChange({}, rejected.ctx),
        refused(
          (error) =>
            error.human === "the server no longer accepts this token" && error.hint === `log in again: authctl login --url ${URL_A}`,
        ),
      );
      assert.deepEqual(rejected.prompter.asked, []);
    });

    it("uses AUTHCTL_TOKEN, saying so, and needs a login otherwise", async () => {
      const token = api.tokenOf("ada") ?? "";
      const out = run({ stdin: "old-password-1\nnew-password-1", env: { AUTHCTL_TOKEN: token, AUTHCTL_URL: URL_A }, json: true });
      await runPasswordChange({ passwordStdin: true }, out.ctx);
      assert.match(out.stderr(), /notice: using the token from AUTHCTL_TOKEN/);
      assert.equal(jsonObject(out.stdout()).username, null);
      await assert.rejects(runPasswordChange({ url: "http://127.0.0.1:8102" }, run().ctx), NotLoggedIn);
    });

    it("refuses to send passwords over plain HTTP to another machine", async () => {
      await assert.rejects(
        runPasswordChange(
          { url: "http://api.example.invalid", passwordStdin: true },
          run({ stdin: "a\nb", env: { AUTHCTL_TOKEN: "t" } }).ctx,
        ),
        /refusing to send a password over plain HTTP/,
      );
    });
  });

  describe("password reset", () => {
    it("asks for the address when none is given, and says the answer is the same for an unknown one", async () => {
      const out = run({ answers: ["ada@example.com"] });
      await runPasswordReset({}, out.ctx);
      assert.deepEqual(out.prompter.asked, ["Email"]);
      assert.equal(api.mails.length, 1);
      assert.match(
        out.stderr(),
        /✓ Asked http:\/\/127\.0\.0\.1:8101 to mail a password reset link to ada@example\.com\nThe server answers the same whether or not an account has this address\. With the link from the mail: authctl password reset --url http:\/\/127\.0\.0\.1:8101 --link -\n/,
      );
      const unknown = run({ json: true });
      await runPasswordReset({ email: "nobody@example.com" }, unknown.ctx);
      assert.deepEqual(jsonObject(unknown.stdout()), {
        url: URL_A,
        email: "nobody@example.com",
        detail: "Password reset e-mail has been sent.",
      });
      assert.equal(api.mails.length, 1);
    });

    it("needs --email without a terminal, and keeps the link's flags to --link", async () => {
      await assert.rejects(runPasswordReset({}, scripted().ctx), /--email is required when not running in a terminal/);
      await assert.rejects(runPasswordReset({ passwordStdin: true }, run().ctx), /--password-stdin only applies with --link/);
      await assert.rejects(
        runPasswordReset({ email: "a@example.com", link: "-" }, run().ctx),
        /give --email to ask for the mail, or --link to use it, not both/,
      );
      await assert.rejects(
        runPasswordReset({ email: "not-an-address" }, run().ctx),
        refused((error) => error.human === "email: Enter a valid email address."),
      );
    });

    it("sets the new password with a link pasted at the prompt of --link -, asked twice", async () => {
      await runPasswordReset({ email: "ada@example.com" }, run().ctx);
      const [mail] = api.mails;
      assert.ok(mail);
      const { token } = mail;
      const out = run({ answers: [` ${LINK(mail.uid, token)}?utm=x `, "reset-password-1", "reset-password-1"] });
      await runPasswordReset({ link: "-" }, out.ctx);
      assert.deepEqual(out.prompter.asked, ["Reset link (from the mail)", "New password", "New password (again)"]);
      assert.equal(api.users.get("ada")?.password, "reset-password-1");
      assert.match(
        out.stderr(),
        /^Setting a new password at http:\/\/127\.0\.0\.1:8101\n✓ Set the new password at .*; the link is spent\nLog in with it: authctl login --url http:\/\/127\.0\.0\.1:8101\n$/,
      );
      assert.ok(!out.stderr().includes(token), "the link was printed");
    });

    it("reads the link, then the new password, from stdin; a spent link is said plainly with the way out", async () => {
      await runPasswordReset({ email: "ada@example.com" }, run().ctx);
      const [mail] = api.mails;
      assert.ok(mail);
      const link = LINK(mail.uid, mail.token);
      const out = run({ stdin: `${link}\nreset-password-1\n`, json: true });
      await runPasswordReset({ link: "-", passwordStdin: true }, out.ctx);
      assert.deepEqual(jsonObject(out.stdout()), { url: URL_A, detail: "Password has been reset with the new password." });
      await assert.rejects(
        runPasswordReset({ link: "-", passwordStdin: true }, run({ stdin: `${link}\nreset-password-2\n` }).ctx),
        refused(
          (error) =>
            error.human === "link: not valid (cut short, already used, or expired)" &&
            /ask for a new one: authctl password reset --url http:\/\/127\.0\.0\.1:8101 --email ADDRESS$/.test(error.hint ?? ""),
        ),
      );
      assert.equal(api.users.get("ada")?.password, "reset-password-1");
    });

    it("warns that a link given as an argument is visible to others, and still uses it", async () => {
      await runPasswordReset({ email: "ada@example.com" }, run().ctx);
      const [mail] = api.mails;
      assert.ok(mail);
      const out = run({ stdin: "reset-password-1" });
      await runPasswordReset({ link: LINK(mail.uid, mail.token), passwordStdin: true }, out.ctx);
      assert.match(
        out.stderr(),
        /^warning: a reset link given as an argument can be read by other users of this machine in the process list, .*use --link - to paste it at a prompt or pipe it on stdin\n/,
      );
      assert.equal(api.users.get("ada")?.password, "reset-password-1");
    });

    it("says a short new password, and two that still differ after three tries, plainly", async () => {
      await runPasswordReset({ email: "ada@example.com" }, run().ctx);
      const [mail] = api.mails;
      assert.ok(mail);
      const out = run({ answers: [LINK(mail.uid, mail.token), "short", "short"] });
      await assert.rejects(
        runPasswordReset({ link: "-" }, out.ctx),
        refused((error) => error.human === "new password: This password is too short. It must contain at least 8 characters."),
      );
      const typo = run({
        answers: [
          LINK(mail.uid, mail.token),
          "long-enough-1",
          "long-enough-2",
          "long-enough-3",
          "long-enough-4",
          "long-enough-5",
          "long-enough-6",
        ],
      });
      await assert.rejects(
        runPasswordReset({ link: "-" }, typo.ctx),
        refused((error) => error.human === "new password: the two passwords differ"),
      );
      assert.equal((typo.stderr().match(/the passwords differ; try again/g) ?? []).length, 2);
    });

    it("takes the uid and token from the end of the link's path, as pasted", () => {
      const expected = { uid: "MQ", token: "cz6h4k-0123456789abcdef0123456789abcdef" };
      for (const link of [
        `http://127.0.0.1:8000/account/password/reset/confirm/${expected.uid}/${expected.token}/`,
        `https://app.example.com/reset/${expected.uid}/${expected.token}`,
        `  <https://app.example.com/reset/${expected.uid}/${expected.token}/?next=/home#top>\n`,
        `myapp://reset/${expected.uid}/${expected.token}`,
      ]) {
        assert.deepEqual(parseResetLink(link), expected);
      }
      for (const bad of [
        "MQ/cz6h4k-0123",
        "https://app.example.com/",
        "https://app.example.com/reset/MQ%20x/cz6h4k-0123/",
        "secret-value",
      ]) {
        assert.throws(
          () => parseResetLink(bad),
          (error: unknown) => error instanceof UsageError && !error.message.includes("MQ") && !error.message.includes("secret-value"),
        );
      }
    });

    it("needs --password-stdin when the link is piped", async () => {
      await assert.rejects(
        runPasswordReset({ link: "-" }, scripted({ stdin: "https://app.example.com/reset/MQ/abc-123/\n" }).ctx),
        /--password-stdin is required when not running in a terminal/,
      );
    });

    it("says plainly that a server without the endpoints does not offer a reset", async () => {
      api.hasLifecycle = false;
      const out = run({ answers: ["ada@example.com"] });
      await assert.rejects(
        runPasswordReset({}, out.ctx),
        (error: unknown) => error instanceof NotOffered && /does not offer password reset by e-mail/.test(error.message),
      );
      assert.deepEqual(out.prompter.asked, []);
    });
  });

  describe("user", () => {
    it("shows pk, username, email and the names; --json has them with the server's URL", async () => {
      const out = run();
      await runUser({}, out.ctx);
      assert.equal(out.stdout(), "pk         1\nusername   ada\nemail      ada@example.com\nfirst name (not set)\nlast name  (not set)\n");
      const json = run({ json: true });
      await runUser({}, json.ctx);
      assert.deepEqual(jsonObject(json.stdout()), {
        url: URL_A,
        pk: 1,
        username: "ada",
        email: "ada@example.com",
        firstName: "",
        lastName: "",
      });
    });

    it("edits the names, and with a new username renames the stored account, token and all", async () => {
      const token = api.tokenOf("ada") ?? "";
      const names = run({ json: true });
      await runUserEdit({ firstName: "Ada", lastName: "Lovelace" }, names.ctx);
      assert.deepEqual(jsonObject(names.stdout()), {
        url: URL_A,
        pk: 1,
        username: "ada",
        email: "ada@example.com",
        firstName: "Ada",
        lastName: "Lovelace",
      });
      assert.match(names.stderr(), /^$/, "--json says nothing on stderr");
      const rename = run();
      await runUserEdit({ username: "lovelace" }, rename.ctx);
      assert.match(rename.stderr(), /✓ Updated the username of ada at http:\/\/127\.0\.0\.1:8101; stored here as lovelace now\n/);
      assert.deepEqual(
        (await rename.ctx.tokens.list()).map(({ username, active }) => [username, active]),
        [["lovelace", true]],
      );
      assert.deepEqual([...keychain.entries.keys()], [JSON.stringify([serviceFor(URL_A), "lovelace"])]);
      assertSameSecret([...keychain.entries.values()][0], token, "the renamed account's token");
      const clear = run({ json: true });
      await runUserEdit({ firstName: "" }, clear.ctx);
      assert.equal(jsonObject(clear.stdout()).firstName, "");
    });

    it("needs something to change, and says a username taken plainly", async () => {
      await assert.rejects(runUserEdit({}, run().ctx), /nothing to change: give --username, --first-name or --last-name/);
      api.addUser("grace");
      await assert.rejects(
        runUserEdit({ username: "grace" }, run().ctx),
        refused((error) => error.human === "username: that username is taken"),
      );
      assert.deepEqual(
        (await run().ctx.tokens.list()).map(({ username }) => username),
        ["ada"],
      );
    });

    it("warns when the server knows the stored account under another name", async () => {
      const user = api.users.get("ada");
      assert.ok(user);
      user.username = "renamed";
      const out = run();
      await runUser({}, out.ctx);
      assert.match(
        out.stderr(),
        /warning: the server now calls this account renamed; it is stored here as ada \(log in as renamed to store it under that name: authctl login --url http:\/\/127\.0\.0\.1:8101 -u renamed\)/,
      );
    });
  });
});
