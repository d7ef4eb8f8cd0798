import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { configDir, runCli, startTestServer, type TestServer } from "../helpers/cli.js";
import { uniqueName } from "../helpers/temp.js";
import { assertTokenShape } from "../helpers/secrets.js";

let server: TestServer;
before(async () => (server = await startTestServer()));
after(() => server.close());

it("falls back to a 0600 credentials file in a 0700 dir, with a warning, when there is no D-Bus", async () => {
  const config = await configDir();
  const dir = join(config.path, "nested");
  const env = { AUTHCTL_CONFIG_DIR: dir, AUTHCTL_URL: server.url, DBUS_SESSION_BUS_ADDRESS: undefined, XDG_RUNTIME_DIR: undefined };
  const username = uniqueName("nobus");
  try {
    const result = await runCli(["register", "-u", username, "-e", `${username}@example.com`, "--password-stdin"], { env, input: "pw" });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(
      result.stderr,
      /warning: token stored in plaintext in .*credentials\.json: no OS keychain available \(no D-Bus session bus/,
    );
    const file = join(dir, "credentials.json");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const token = (await runCli(["token"], { env })).stdout.trim();
    assertTokenShape(token);
    assert.ok((await readFile(file, "utf8")).includes(token));

    const logout = await runCli(["logout"], { env });
    assert.equal(logout.exitCode, 0, logout.stderr);
    assert.ok(!(await readFile(file, "utf8")).includes(token), "logout left the token in the file");
  } finally {
    await config.remove();
  }
});
