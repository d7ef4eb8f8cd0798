import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openCliSetup, runCli, type TestServer } from "../helpers/cli.js";
import { answer, startTerminal } from "../helpers/pty.js";
import { uniqueName } from "../helpers/temp.js";

// `authctl password change` at a real terminal, against the CLI tests' server (ours, or
// AUTHCTL_E2E_URL's, e.g. the DRF reference with dj-rest-auth). A server without
// dj-rest-auth's password/change/ skips it, saying so; test/cli/lifecycle-drf.test.ts
// always runs the lifecycle against the reference where it is installed.

const PASSWORD = "first-Pass-9";
const CHANGED = "changed-Pass-9";

describe("password change prompts in a terminal", () => {
  let server: TestServer;
  let env: Record<string, string>;
  let close: () => Promise<void>;
  before(async () => ({ server, env, close } = await openCliSetup()));
  after(() => close());

  it("asks for the current password and the new one twice, hidden, and says the token keeps working", async (t) => {
    const probe = await fetch(`${server.url}/account/password/change/`, { method: "OPTIONS" });
    if (probe.status === 404) {
      t.skip(`${server.url} has no /account/password/change/ (dj-rest-auth's endpoints)`);
      return;
    }
    const username = uniqueName("tty");
    const registered = await runCli(
      ["register", "-u", username, "-e", `${username}@example.com`, "--password-stdin", "--insecure-storage"],
      { env, input: PASSWORD },
    );
    assert.equal(registered.exitCode, 0, registered.stderr);
    const term = startTerminal(["password", "change"], env);
    await term.waitFor(new RegExp(`Changing the password of ${username} at`));
    await answer(term, [
      [/Current password/, PASSWORD],
      [/New password/, CHANGED],
      [/New password \(again\)/, `${CHANGED}-typo`],
    ]);
    // The new prompt itself ("? "), not the answered one ("✔ ") drawn before the warning: keys typed
    // before the prompt takes the terminal would be echoed.
    await answer(term, [
      [/the passwords differ; try again\r?\n\? New password/, CHANGED],
      [/New password \(again\)/, CHANGED],
    ]);
    assert.equal(await term.exited, 0, term.screen());
    assert.match(term.screen(), /The token keeps working, here and on every other client of the account/);
    assert.ok(!term.screen().includes(PASSWORD) && !term.screen().includes(CHANGED), "a password was echoed");
    const login = await runCli(["login", "-u", username, "--password-stdin", "--no-store"], { env, input: CHANGED });
    assert.equal(login.exitCode, 0, login.stderr);
  });
});
