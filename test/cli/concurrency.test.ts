import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { configDir, keyringSkipReason, registerDirectly, runCli, startTestServer, type TestServer } from "../helpers/cli.js";
import { assertSameSecret } from "../helpers/secrets.js";

const RUNS = 8;

/** Logs RUNS different users in at once into one config dir; returns the tokens the server issued. */
async function parallelLogins(server: TestServer, dir: string, extra: string[]): Promise<Map<string, string>> {
  const users = await Promise.all(Array.from({ length: RUNS }, () => registerDirectly(server.url)));
  const env = { AUTHCTL_CONFIG_DIR: dir, AUTHCTL_URL: server.url };
  const results = await Promise.all(
    users.map(({ username }) => runCli(["login", "-u", username, "--password-stdin", ...extra], { env, input: "s3cret-pw" })),
  );
  for (const result of results) assert.equal(result.exitCode, 0, result.stderr);
  return new Map(users.map(({ username, token }) => [username, token]));
}

async function assertAllKept(dir: string, issued: Map<string, string>): Promise<void> {
  const env = { AUTHCTL_CONFIG_DIR: dir };
  const status = await runCli(["status", "--json"], { env });
  const names = (JSON.parse(status.stdout) as { accounts: { username: string }[] }).accounts.map((account) => account.username);
  assert.deepEqual(names.sort(), [...issued.keys()].sort(), "accounts were lost");
  for (const [username, token] of issued) {
    const printed = await runCli(["token", "-u", username], { env });
    assert.equal(printed.exitCode, 0, printed.stderr);
    assertSameSecret(printed.stdout.trim(), token, `the token of ${username}`);
  }
}

describe(`${RUNS} authctl logins at once into one config dir`, () => {
  let server: TestServer;
  before(async () => (server = await startTestServer()));
  after(() => server.close());

  it(`keep all ${RUNS} accounts and tokens in the credentials file`, async () => {
    const config = await configDir();
    try {
      await assertAllKept(config.path, await parallelLogins(server, config.path, ["--insecure-storage"]));
    } finally {
      await config.remove();
    }
  });

  it(`keep all ${RUNS} accounts with tokens in the OS keychain`, { skip: keyringSkipReason() }, async () => {
    const config = await configDir();
    try {
      await assertAllKept(config.path, await parallelLogins(server, config.path, []));
    } finally {
      await config.remove();
    }
  });
});
