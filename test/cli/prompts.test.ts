import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { openCliSetup, type TestServer } from "../helpers/cli.js";
import { answer, startTerminal } from "../helpers/pty.js";
import { uniqueName } from "../helpers/temp.js";

/** An account API that answers OPTIONS but never answers a login: the CLI waits between prompts. */
async function startStallingServer(): Promise<{ url: string; posted: Promise<void>; close(): Promise<void> }> {
  let reportPost: () => void = () => undefined;
  const posted = new Promise<void>((resolve) => {
    reportPost = resolve;
  });
  const server: Server = createServer((request, response) => {
    if (request.method === "OPTIONS") {
      response.writeHead(200, { "content-type": "application/json" }).end('{"name":"Obtain Auth Token"}');
      return;
    }
    reportPost();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posted,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("interactive prompts in a terminal", () => {
  let server: TestServer;
  let env: Record<string, string>;
  let close: () => Promise<void>;
  before(async () => ({ server, env, close } = await openCliSetup({ currentServer: false })));
  after(() => close());

  it("names the server, then asks for username, email and the password twice, masking the password", async () => {
    const username = uniqueName("tty");
    const term = startTerminal(["register", server.url, "--insecure-storage"], env);
    await term.waitFor(new RegExp(`Registering at ${server.url.replace(/\./g, "\\.")}`));
    await answer(term, [
      [/Username/, username],
      [/Email/, `${username}@example.com`],
      [/Password/, "typed-secret"],
      [/Password \(again\)/, "typed-secret"],
    ]);
    assert.equal(await term.exited, 0, term.screen());
    assert.match(term.screen(), new RegExp(`Registered ${username} at`));
    assert.ok(!term.screen().includes("typed-secret"), "the password was echoed");
  });

  it("asks both passwords again when they differ, before anything reaches the server", async () => {
    const username = uniqueName("tty");
    const term = startTerminal(
      ["register", "--url", server.url, "-u", username, "-e", `${username}@example.com`, "--insecure-storage"],
      env,
    );
    await answer(term, [
      [/Password/, "first-secret"],
      [/Password \(again\)/, "second-secret"],
    ]);
    await term.waitFor(/the passwords differ; try again/);
    await answer(term, [
      [/Password/, "same-secret"],
      [/Password \(again\)/, "same-secret"],
    ]);
    assert.equal(await term.exited, 0, term.screen());
    assert.match(term.screen(), new RegExp(`Registered ${username} at`));
  });

  it("gives a wrong password three tries", async () => {
    const username = uniqueName("tty");
    const term = startTerminal(
      ["register", "--url", server.url, "-u", username, "-e", `${username}@example.com`, "--insecure-storage"],
      env,
    );
    await answer(term, [
      [/Password/, "right-one"],
      [/Password \(again\)/, "right-one"],
    ]);
    assert.equal(await term.exited, 0, term.screen());
    const login = startTerminal(["login", "--url", server.url, "-u", username, "--insecure-storage"], env);
    await answer(login, [[/Password/, "wrong-one"]]);
    await login.waitFor(/error: wrong username or password/);
    await answer(login, [[/Password/, "right-one"]]);
    assert.equal(await login.exited, 0, login.screen());
    assert.match(login.screen(), new RegExp(`Logged in to .* as ${username}`));
  });

  it("checks the username and email as they are typed, with the server's words, and asks that field again", async () => {
    const username = uniqueName("tty");
    const term = startTerminal(["register", server.url, "--insecure-storage"], env);
    await answer(term, [[/Username/, "no spaces!"]]);
    await term.waitFor(/Enter a valid username\. This value may contain only letters, numbers, and @\/\.\/\+\/-\/_ characters\./);
    term.type(`${"\x7f".repeat("no spaces!".length)}${username}\r`);
    await answer(term, [[/Email/, "not-an-email"]]);
    await term.waitFor(/Enter a valid email address\./);
    term.type(`${"\x7f".repeat("not-an-email".length)}${username}@example.com\r`);
    await answer(term, [
      [/Password/, "typed-secret"],
      [/Password \(again\)/, "typed-secret"],
    ]);
    assert.equal(await term.exited, 0, term.screen());
    assert.match(term.screen(), new RegExp(`Registered ${username} at`));
  });

  it("asks the username and the password again after a refused login, counting the attempts", async () => {
    const username = uniqueName("tty");
    const made = startTerminal(
      ["register", "--url", server.url, "-u", username, "-e", `${username}@example.com`, "--insecure-storage"],
      env,
    );
    await answer(made, [
      [/Password/, "right-one"],
      [/Password \(again\)/, "right-one"],
    ]);
    assert.equal(await made.exited, 0, made.screen());
    const login = startTerminal(["login", "--url", server.url, "--insecure-storage"], env);
    await answer(login, [
      [/Username/, `${username}-typo`],
      [/Password/, "right-one"],
    ]);
    await login.waitFor(/error: wrong username or password/);
    await login.waitFor(/Username \(attempt 2 of 3\)/);
    login.type(`${"\x7f".repeat(`${username}-typo`.length)}${username}\r`);
    await answer(login, [[/Password \(attempt 2 of 3\)/, "right-one"]]);
    assert.equal(await login.exited, 0, login.screen());
    assert.match(login.screen(), new RegExp(`Logged in to .* as ${username}`));
  });

  it("cancels with exit code 130 on Ctrl-C at a prompt, storing nothing", async () => {
    const term = startTerminal(["login", "--url", server.url], env);
    await answer(term, [[/Username/, "ada"]]);
    await term.waitFor(/Password/);
    term.type("\x03");
    assert.equal(await term.exited, 130, term.screen());
    assert.match(term.screen(), /cancelled\r?\n$/);
    assert.doesNotMatch(term.screen(), /error/);
  });

  it("cancels with exit code 130 on Ctrl-C between two prompts", async () => {
    const stalling = await startStallingServer();
    try {
      const term = startTerminal(["login", "--url", stalling.url, "-u", "ada"], env);
      await answer(term, [[/Password/, "typed-secret"]]);
      await stalling.posted;
      term.type("\x03");
      assert.equal(await term.exited, 130, term.screen());
      assert.match(term.screen(), /cancelled\r?\n$/);
      assert.doesNotMatch(term.screen(), /error/);
    } finally {
      await stalling.close();
    }
  });
});
