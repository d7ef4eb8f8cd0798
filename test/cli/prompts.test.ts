import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pty from "@lydell/node-pty";
import { AUTHCTL, configDir, startTestServer, type TestServer } from "../helpers/cli.js";
import { uniqueName } from "../helpers/temp.js";

/** Drives `authctl` in a real pseudo-terminal: waits for each prompt, then types. */
async function interactive(args: string[], env: Record<string, string>, answers: [RegExp, string][], finalKeys = "") {
  const term = pty.spawn(process.execPath, [AUTHCTL, ...args], {
    env: { ...process.env, ...env, TERM: "xterm", NO_COLOR: "1" },
    cols: 120,
    rows: 30,
  });
  let screen = "";
  let pending = "";
  term.onData((data) => {
    screen += data;
    pending += data;
  });
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  const waitFor = async (ready: () => boolean) => {
    const deadline = Date.now() + 15_000;
    while (!ready()) {
      if (Date.now() > deadline) throw new Error(`no prompt in:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  for (const [prompt, answer] of answers) {
    await waitFor(() => prompt.test(pending));
    pending = "";
    term.write(`${answer}\r`);
  }
  if (finalKeys) {
    await waitFor(() => pending.length > 0);
    term.write(finalKeys);
  }
  return { exitCode: await exited, screen };
}

describe("interactive prompts in a terminal", () => {
  let server: TestServer;
  let config: Awaited<ReturnType<typeof configDir>>;
  before(async () => {
    server = await startTestServer();
    config = await configDir();
  });
  after(async () => {
    await server.close();
    await config.remove();
  });

  it("asks for username, email and the password twice, masking the password", async () => {
    const username = uniqueName("tty");
    const { exitCode, screen } = await interactive(["register", "--url", server.url, "--insecure-storage"], { AUTHCTL_CONFIG_DIR: config.path }, [
      [/Username/, username],
      [/Email/, `${username}@example.com`],
      [/Password/, "typed-secret"],
      [/Password \(again\)/, "typed-secret"],
    ]);
    assert.equal(exitCode, 0, screen);
    assert.match(screen, new RegExp(`Registered ${username} at`));
    assert.ok(!screen.includes("typed-secret"), "the password was echoed");
  });

  it("sends both passwords to the server, which refuses a mismatch with exit 1", async () => {
    const username = uniqueName("tty");
    const { exitCode, screen } = await interactive(["register", "--url", server.url, "-u", username, "-e", `${username}@example.com`], { AUTHCTL_CONFIG_DIR: config.path }, [
      [/Password/, "first-secret"],
      [/Password \(again\)/, "second-secret"],
    ]);
    assert.equal(exitCode, 1, screen);
    assert.match(screen, /error: P1 and P2 should be same!/);
  });

  it("cancels with exit code 130 on Ctrl-C at a prompt, storing nothing", async () => {
    const { exitCode, screen } = await interactive(["login", "--url", server.url], { AUTHCTL_CONFIG_DIR: config.path }, [[/Username/, "ada"]], "\x03");
    assert.equal(exitCode, 130, screen);
    assert.match(screen, /error: cancelled/);
  });
});
