import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configDir, keyringSkipReason, runCli, type CliResult } from "../helpers/cli.js";
import { referenceSkipReason, startReference } from "../helpers/drf-reference.js";
import { post, registration } from "../helpers/http.js";
import { spawnServer } from "../helpers/server.js";
import { tempDir, uniqueName } from "../helpers/temp.js";
import { waitFor } from "../helpers/wait.js";

// authctl login --name, tokens, tokens revoke, logout --all and status's expiry,
// through the real binary and the OS keychain, against our server in knox's model,
// in DRF's (the default), and against the DRF reference, which has no token endpoints.

const skip = keyringSkipReason();
const PASSWORD = "s3cret-pw";

function assertNoToken(result: CliResult, ...tokens: string[]): void {
  for (const token of tokens) assert.equal((result.stdout + result.stderr).includes(token), false, "a token was printed");
}

interface ListedToken {
  id: number;
  name: string;
  expiry: string | null;
  current: boolean;
}

async function withServer(
  env: Record<string, string>,
  body: (url: string, cli: (args: string[], input?: string) => Promise<CliResult>) => Promise<void>,
): Promise<void> {
  const dir = await tempDir();
  const config = await configDir();
  const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_WORKERS: "1", ...env });
  try {
    const cliEnv = { AUTHCTL_CONFIG_DIR: config.path, AUTHCTL_URL: server.url };
    await body(server.url, (args, input) => runCli(args, { env: cliEnv, ...(input === undefined ? {} : { input }) }));
  } finally {
    assert.equal(await server.stop(), 0);
    await config.remove();
    await dir.remove();
  }
}

describe("authctl's per-device token commands", { skip }, () => {
  it("against knox's model: login --name, tokens, tokens revoke, status with the expiry, logout --all", async () => {
    await withServer({ AUTHCTL_TOKENS: "per-login", AUTHCTL_TOKEN_TTL: "10h" }, async (url, cli) => {
      const username = uniqueName("knox");
      const phone = ((await post(`${url}/account/register/`, registration(username, PASSWORD))).body as { token: string }).token;
      const login = await cli(["login", "-u", username, "--password-stdin", "--name", "laptop"], PASSWORD);
      assert.equal(login.exitCode, 0, login.stderr);

      const listed = await cli(["tokens"]);
      assert.equal(listed.exitCode, 0, listed.stderr);
      assert.match(listed.stdout, /^ID\s+NAME\s+CREATED\s+LAST USED\s+EXPIRES\n/);
      assert.match(listed.stdout, /\n2\s+laptop\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+in 10 h\s+← this one\n?$/);
      const json = JSON.parse((await cli(["tokens", "--json"])).stdout) as { tokens: ListedToken[] };
      assert.deepEqual(
        json.tokens.map((token) => [token.id, token.name, token.current]),
        [
          [1, "node", false],
          [2, "laptop", true],
        ],
      );
      assertNoToken(listed, phone);

      const status = await cli(["status"]);
      assert.equal(status.exitCode, 0, status.stderr);
      assert.match(
        status.stdout,
        /✓ token accepted by the server\n {4}the token expires in 10 h \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z\)/,
      );

      assert.equal((await cli(["tokens", "revoke", "1"])).exitCode, 0);
      assert.equal(
        (await fetch(`${url}/account/me/`, { headers: { authorization: `Token ${phone}` } })).status,
        401,
        "the other device is logged out",
      );
      const again = await cli(["tokens", "revoke", "1", "--json"]);
      assert.equal(again.exitCode, 1);
      assert.match(again.stdout, /no token 1 among the account's tokens/);
      assert.equal((await cli(["tokens", "revoke", "one"])).exitCode, 2);

      const other = ((await post(`${url}/account/login/`, { username, password: PASSWORD })).body as { token: string }).token;
      const all = await cli(["logout", "--all"]);
      assert.equal(all.exitCode, 0, all.stderr);
      assert.match(all.stderr, /on every device; every token of this account is revoked/);
      assert.equal((await fetch(`${url}/account/me/`, { headers: { authorization: `Token ${other}` } })).status, 401);
      assert.equal((await cli(["tokens"])).exitCode, 4, "nothing stored any more");
    });
  });

  it("says a token has expired, once the server refuses it after the expiry it gave at login", async () => {
    await withServer({ AUTHCTL_TOKEN_TTL: "2s" }, async (url, cli) => {
      const username = uniqueName("ttl");
      await post(`${url}/account/register/`, registration(username, PASSWORD));
      const login = await cli(["login", "-u", username, "--password-stdin"], PASSWORD);
      assert.equal(login.exitCode, 0, login.stderr);
      assert.match(login.stderr, /; it expires in [12] s \(\d{4}-\d\d-\d\dT[\d:.]+Z\)/);
      // The state waited for: the server refuses the token (it expired there).
      const user = await waitFor("the server refusing the token", async () => {
        const answer = await cli(["user"]);
        return answer.exitCode !== 0 && answer;
      });
      assert.equal(user.exitCode, 1, "the documented code for a token the server refuses");
      assert.match(
        user.stderr,
        new RegExp(
          `error: the token of ${username} at ${url.replace(/\./g, "\\.")} expired at \\d{4}-[\\d:T.-]+Z\nhint: log in again: authctl login --url `,
        ),
      );
      assert.equal((JSON.parse((await cli(["user", "--json"])).stdout) as { error: { code: string } }).error.code, "token_expired");

      const status = await cli(["status"]);
      assert.equal(status.exitCode, 1);
      assert.match(status.stdout, /✗ token expired\n {4}the token expired at \d{4}-[\d:T.-]+Z\n {4}fix: authctl login --url /);
      const api = await cli(["api", "account/me/"]);
      assert.equal(api.exitCode, 1);
      assert.match(api.stderr, /hint: the token of .* expired at .*; log in again: authctl login/);
      const logout = await cli(["logout"]);
      assert.equal(logout.exitCode, 0, logout.stderr);
      assert.match(logout.stderr, /had expired; removed it locally/);
    });
  });

  it("against DRF's model (the default): one token, no expiry, logout --all revokes it", async () => {
    await withServer({}, async (url, cli) => {
      const username = uniqueName("drf");
      await post(`${url}/account/register/`, registration(username, PASSWORD));
      assert.equal((await cli(["login", "-u", username, "--password-stdin"], PASSWORD)).exitCode, 0);
      const json = JSON.parse((await cli(["tokens", "--json"])).stdout) as { tokens: ListedToken[] };
      assert.deepEqual(
        json.tokens.map((token) => [token.expiry, token.current]),
        [[null, true]],
      );
      const status = await cli(["status"]);
      assert.match(status.stdout, /the token does not expire/);
      assert.equal((await cli(["logout", "--all"])).exitCode, 0);
    });
  });

  it(
    "against the DRF reference: tokens says the server has none, status shows no expiry, logout --all falls back to logout",
    { skip: referenceSkipReason() },
    async () => {
      const reference = await startReference({ lifecycle: false });
      const config = await configDir();
      const env = { AUTHCTL_CONFIG_DIR: config.path, AUTHCTL_URL: reference.url };
      const cli = (args: string[], input?: string) => runCli(args, { env, ...(input === undefined ? {} : { input }) });
      try {
        const username = uniqueName("ref");
        const registered = await cli(["register", "-u", username, "-e", `${username}@example.com`, "--password-stdin"], PASSWORD);
        assert.equal(registered.exitCode, 0, registered.stderr);
        assert.equal(
          (await cli(["login", "-u", username, "--password-stdin", "--name", "laptop"], PASSWORD)).exitCode,
          0,
          "DRF ignores the name",
        );
        const tokens = await cli(["tokens"]);
        assert.equal(tokens.exitCode, 3);
        assert.match(tokens.stderr, /does not offer per-device tokens: GET \/account\/tokens\/ answered HTTP 404/);
        const status = await cli(["status"]);
        assert.equal(status.exitCode, 0, status.stderr);
        assert.doesNotMatch(status.stdout, /expire/);
        const all = await cli(["logout", "--all"]);
        assert.equal(all.exitCode, 0, all.stderr);
        assert.match(all.stderr, /every token of this account is revoked/);
      } finally {
        await reference.close();
        await config.remove();
      }
    },
  );
});
