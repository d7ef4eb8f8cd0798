import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AUTHCTL, configDir, openCliSetup, registerDirectly, runCli, type CliSetup, type TestServer } from "../helpers/cli.js";
import { assertSameSecret } from "../helpers/secrets.js";

const FILE = "--insecure-storage";

type Reply = [status: number, type: string, body: string];

/** A scripted server: `reply` decides the answer to each method and path. */
async function startFixedServer(reply: (method: string, path: string) => Reply) {
  const server = createServer((request, response) => {
    request.resume();
    const [status, type, body] = reply(request.method ?? "GET", request.url ?? "/");
    response.writeHead(status, { "content-type": type }).end(body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("authctl for scripts", () => {
  let server: TestServer;
  let config: CliSetup["config"];
  let env: Record<string, string>;
  let close: () => Promise<void>;
  before(async () => ({ server, config, env, close } = await openCliSetup()));
  after(() => close());

  it("login --with-token keeps a checked token; --no-store prints one and keeps nothing", async () => {
    const { username, token } = await registerDirectly(server.url);
    const printed = await runCli(["login", server.url, "-u", username, "--password-stdin", "--no-store"], {
      env: { AUTHCTL_CONFIG_DIR: config.path },
      input: "s3cret-pw",
    });
    assert.equal(printed.exitCode, 0, printed.stderr);
    assertSameSecret(printed.stdout.trim(), token, "the --no-store output");
    assert.equal((await runCli(["token", "-u", username], { env })).exitCode, 4, "--no-store kept the token");
    const kept = await runCli(["login", "--with-token", "-u", username, "--json", FILE], { env, input: `${token}\n` });
    assert.equal(kept.exitCode, 0, kept.stderr);
    assert.deepEqual(JSON.parse(kept.stdout), { url: server.url, username, storage: "file" });
    const bad = await runCli(["login", "--with-token", "-u", username, FILE], { env, input: "0".repeat(40) });
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stderr, /the server rejected the token: Invalid token\./);
  });

  it("logout --local forgets the token here and leaves it valid on the server", async () => {
    const { username, token } = await registerDirectly(server.url);
    await runCli(["login", "-u", username, "--password-stdin", FILE], { env, input: "s3cret-pw" });
    const logout = await runCli(["logout", "-u", username, "--local"], { env });
    assert.equal(logout.exitCode, 0, logout.stderr);
    assert.match(logout.stderr, /it stays valid on the server/);
    // DRF authenticates every request: OPTIONS with the token is 200 while it is valid.
    const check = await fetch(`${server.url}/account/register/`, { method: "OPTIONS", headers: { authorization: `Token ${token}` } });
    assert.equal(check.status, 200);
  });

  it("authctl api sends the current token, prints the body, and exits 1 with the body on stderr for non-2xx", async () => {
    const { username } = await registerDirectly(server.url);
    await runCli(["login", "-u", username, "--password-stdin", FILE], { env, input: "s3cret-pw" });
    if (server.hasMe) {
      const me = await runCli(["api", "/account/me/"], { env });
      assert.equal(me.exitCode, 0, me.stderr);
      assert.deepEqual(JSON.parse(me.stdout), { username, email: `${username}@example.com` });
    }
    const options = await runCli(["api", "-X", "OPTIONS", "/account/register/"], { env });
    assert.equal(options.exitCode, 0, options.stderr);
    assert.match(options.stdout, /"name":"Registration View"/);
    const missing = await runCli(["api", "/account/nothing/"], { env });
    assert.equal(missing.exitCode, 1);
    assert.equal(missing.stdout, "");
    assert.match(missing.stderr, /Not Found[^]*\nerror: GET \/account\/nothing\/ answered HTTP 404\n$/i);
    const body = join(config.path, "body.json");
    await writeFile(body, JSON.stringify({ username: "x" }));
    const input = await runCli(["api", "/account/login/", "--input", body], { env });
    assert.equal(input.exitCode, 1);
    assert.match(input.stderr, /"password":\["This field is required\."\]/);
    const revoked = await runCli(["api", "-X", "POST", "/account/logout/"], { env });
    assert.equal(revoked.exitCode, 0, revoked.stderr);
    const revokedCheck = await runCli(["api", "-X", "OPTIONS", "/account/register/"], { env });
    assert.equal(revokedCheck.exitCode, 1, "the revoked token still works");
    assert.match(revokedCheck.stderr, /Invalid token\.[^]*answered HTTP 401/);
  });

  it("prints a bash completion script that completes commands and flags", () => {
    const script = `source <("${process.execPath}" "${AUTHCTL}" completion bash)
COMP_WORDS=(authctl lo); COMP_CWORD=1; _authctl; echo "\${COMPREPLY[*]}"
COMP_WORDS=(authctl logout --lo); COMP_CWORD=2; _authctl; echo "\${COMPREPLY[*]}"
COMP_WORDS=(authctl password ""); COMP_CWORD=2; _authctl; echo "\${COMPREPLY[*]}"
COMP_WORDS=(authctl password reset --li); COMP_CWORD=3; _authctl; echo "\${COMPREPLY[*]}"
COMP_WORDS=(authctl user edit --f); COMP_CWORD=3; _authctl; echo "\${COMPREPLY[*]}"`;
    const result = spawnSync("bash", ["-c", script], { encoding: "utf8" });
    assert.equal(result.stdout, "login logout\n--local\nchange reset\n--link\n--first-name\n", result.stderr);
    for (const shell of ["zsh", "fish"]) {
      const printed = spawnSync(process.execPath, [AUTHCTL, "completion", shell], { encoding: "utf8" });
      assert.equal(printed.status, 0);
      assert.match(printed.stdout, /switch/);
    }
    assert.equal(spawnSync(process.execPath, [AUTHCTL, "completion", "tcsh"]).status, 2);
  });

  it("completes in bash what each place takes: subcommands, shells, stored servers and usernames, files only for a file", async () => {
    const config = await configDir();
    const work = await configDir();
    try {
      const accounts = [
        { username: "ada", storage: "file" },
        { username: "grace", storage: "file" },
      ];
      const stored = {
        version: 2,
        current: "http://127.0.0.1:8131",
        servers: [{ url: "http://127.0.0.1:8131", active: "ada", lastUsed: 1, accounts }],
      };
      await writeFile(join(config.path, "config.json"), JSON.stringify(stored), { mode: 0o600 });
      await writeFile(join(work.path, "rows.csv"), "username,email\n");
      const script = `authctl() { "${process.execPath}" "${AUTHCTL}" "$@"; }
source <(authctl completion bash)
show() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _authctl; echo "\${COMPREPLY[*]}"; }
show authctl admin ""
show authctl completion ""
show authctl switch -u ""
show authctl login --url ""
show authctl register --from ""
show authctl login --name ""
show authctl serve --data-dir ""`;
      const result = spawnSync("bash", ["-c", script], {
        encoding: "utf8",
        cwd: work.path,
        env: { ...process.env, AUTHCTL_CONFIG_DIR: config.path },
      });
      const lines = result.stdout.split("\n");
      assert.match(lines[0] ?? "", /^create-user set-password .* import-django$/, result.stderr);
      assert.deepEqual(
        lines.slice(1, 7),
        ["bash zsh fish", "ada grace", "http://127.0.0.1:8131", "rows.csv", "", ""],
        "no file names where a file is not taken",
      );
    } finally {
      await config.remove();
      await work.remove();
    }
  });

  const missing = (shell: string) => (spawnSync(shell, ["-c", "exit 0"]).status === 0 ? false : `${shell} is not installed`);

  it("prints a fish completion script that fish completes from", { skip: missing("fish") }, () => {
    const script = `"${process.execPath}" "${AUTHCTL}" completion fish | source; complete -C "authctl lo"; complete -C "authctl logout --l"; complete -C "authctl password "; complete -C "authctl password reset --li"`;
    const result = spawnSync("fish", ["-c", script], { encoding: "utf8" });
    assert.match(
      result.stdout,
      /^login\t.*\nlogout\t.*\n--local\tonly forget the token here.*\nchange\t.*\nreset\t.*\n--link\tset the new password with the link from the mail/,
      result.stderr,
    );
    const values = spawnSync(
      "fish",
      [
        "-c",
        `"${process.execPath}" "${AUTHCTL}" completion fish | source; complete -C "authctl completion "; complete -C "authctl login --name "`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(values.stdout, "bash\nfish\nzsh\n", "the shells, and nothing (no file names) for a name");
  });

  it("prints a zsh completion script that zsh loads", { skip: missing("zsh") }, () => {
    const script = `autoload -U compinit; compinit -u; source <("${process.execPath}" "${AUTHCTL}" completion zsh); print -r -- \${_comps[authctl]}`;
    const result = spawnSync("zsh", ["-c", script], { encoding: "utf8", env: { ...process.env, HOME: "/nonexistent" } });
    assert.equal(result.stdout, "_authctl\n", result.stderr);
  });

  it("prints the version as JSON", async () => {
    const result = await runCli(["--version", "--json"]);
    assert.equal(result.exitCode, 0);
    assert.match((JSON.parse(result.stdout) as { version: string }).version, /^\d+\.\d+\.\d+/);
  });

  it("diagnoses TLS to a plain-HTTP port and a URL that is not this API, before asking for a password", async () => {
    const tls = await runCli(["login", server.url.replace("http:", "https:"), "-u", "ada"], { env });
    assert.equal(tls.exitCode, 3);
    assert.match(tls.stderr, /the server does not speak TLS; try http:\/\//);
    const html = await startFixedServer(() => [404, "text/html", "<html>nope</html>"]);
    try {
      const result = await runCli(["login", html.url, "-u", "ada"], { env });
      assert.equal(result.exitCode, 3);
      assert.match(result.stderr, /not an account API at this URL/);
    } finally {
      await html.close();
    }
  });

  it("strips terminal escapes from what a hostile server says", async () => {
    const refusal = JSON.stringify({ non_field_errors: ["\u001b]0;pwned\u0007\u001b[2Jbad\u001b[31m news"] });
    const hostile = await startFixedServer((method) =>
      method === "OPTIONS" ? [200, "application/json", "{}"] : [400, "application/json", refusal],
    );
    try {
      const result = await runCli(["login", hostile.url, "-u", "ada", "--password-stdin"], { env, input: "pw" });
      assert.equal(result.exitCode, 1);
      assert.match(result.stderr, /error: bad news\n/);
      assert.ok(!/\u001b|\u0007/.test(result.stderr), "an escape reached the terminal");
    } finally {
      await hostile.close();
    }
  });

  it("keeps and prints no time that is not an ISO 8601 time, so a hostile one never reaches the terminal or the config", async () => {
    // V8's Date.parse takes this (a parenthesized comment), escapes and all.
    const expiry = "2030-01-01 (\u001b]0;pwned\u0007\u001b[2J)";
    const listed = [{ id: 1, name: "x", created: expiry, expiry, last_used: expiry, current: true }];
    const hostile = await startFixedServer((method, path) => {
      if (method === "OPTIONS") return [200, "application/json", "{}"];
      if (path === "/account/tokens/") return [200, "application/json", JSON.stringify(listed)];
      return [200, "application/json", JSON.stringify({ expiry, token: "b".repeat(40) })];
    });
    const local = await configDir();
    try {
      const result = await runCli(["login", hostile.url, "-u", "ada", "--password-stdin", FILE], {
        env: { AUTHCTL_CONFIG_DIR: local.path },
        input: "pw",
      });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /expires/);
      assert.ok(!/\u001b|\u0007/.test(result.stderr), "an escape reached the terminal");
      assert.doesNotMatch(await readFile(join(local.path, "config.json"), "utf8"), /expiry/);
      const tokens = await runCli(["tokens"], { env: { AUTHCTL_CONFIG_DIR: local.path } });
      assert.equal(tokens.exitCode, 3, "a token listed without a creation time is not this API's answer");
      assert.ok(!/\u001b|\u0007/.test(tokens.stdout + tokens.stderr), "an escape reached the terminal");
    } finally {
      await hostile.close();
      await local.remove();
    }
  });

  it("status checks a token against a server without /account/me/", async () => {
    const token = "a".repeat(40);
    // DRF authenticates every request: OPTIONS with a valid token is 200, with another 401.
    const drfLike = await startFixedServer((_method, path) =>
      path === "/account/me/" ? [404, "text/html", "<h1>Not Found</h1>"] : [200, "application/json", "{}"],
    );
    const local = await configDir();
    try {
      const localEnv = { AUTHCTL_CONFIG_DIR: local.path };
      const login = await runCli(["login", drfLike.url, "--with-token", "-u", "ada", FILE], { env: localEnv, input: token });
      assert.equal(login.exitCode, 0, login.stderr);
      const status = await runCli(["status"], { env: localEnv });
      assert.equal(status.exitCode, 0, status.stdout);
      assert.match(status.stdout, /✓ token accepted by the server/);
    } finally {
      await drfLike.close();
      await local.remove();
    }
  });
});
