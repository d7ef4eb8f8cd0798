import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { registration } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";
import { client, serverOn } from "./support.js";

const USERS = 60;

/**
 * An operator copies a database while its server is still logging users out
 * (issue #13: on 0.1 the copy said "verified" while 56 of 60 logged-out
 * tokens worked again on it). Now the copy refuses a live source, and once
 * the server has stopped, every logout is on the copy.
 */
describe("authctl admin copy of a database a server is using", () => {
  it(`refuses while the server serves ${USERS} logouts; copied after it stops, every logged-out token stays logged out`, async (t) => {
    const dir = await tempDir();
    const source = join(dir.path, "source");
    const target = join(dir.path, "target");
    const env = { AUTHCTL_BCRYPT_COST: "4", AUTHCTL_DATABASE_URL: undefined };
    try {
      let server = await serverOn(source, { AUTHCTL_WORKERS: "2" });
      const api = client(server.url);
      const tokens: string[] = [];
      for (let i = 0; i < USERS; i++) {
        const answer = await api.postJson("/account/register/", registration(`copied${i}`));
        tokens.push((JSON.parse(answer.body) as { token: string }).token);
      }
      mkdirSync(target, { mode: 0o700 });
      assert.equal(
        (await runCli(["admin", "list-users", "--data-dir", target, "--json"], { env })).exitCode,
        2,
        "no database at the target yet: refused, not created",
      );
      const logouts = Promise.all(tokens.map((token) => api.request("/account/logout/", { headers: { authorization: `Token ${token}` } })));
      const copy = await runCli(["admin", "copy", "--from", `sqlite://${source}`, "--to", `sqlite://${target}`], { env });
      assert.deepEqual(
        (await logouts).map((answer) => answer.status),
        tokens.map(() => 200),
      );
      assert.equal(copy.exitCode, 1, copy.stderr);
      assert.match(copy.stderr, /in use by 2 server processes/);
      await api.close();
      assert.equal(await server.stop(), 0);

      const after = await runCli(["admin", "copy", "--from", `sqlite://${source}`, "--to", `sqlite://${target}`, "--json"], { env });
      assert.equal(after.exitCode, 0, after.stderr);
      const key = readFileSync(join(source, "secret.key"), "utf8").trim();
      server = await serverOn(target, { AUTHCTL_WORKERS: "1", AUTHCTL_SECRET_KEY: key });
      const onCopy = client(server.url);
      const answers = await Promise.all(
        tokens.map((token) => onCopy.request("/account/me/", { method: "GET", headers: { authorization: `Token ${token}` } })),
      );
      const revived = answers.filter((answer) => answer.status === 200).length;
      t.diagnostic(
        `copy while serving ${USERS} logouts: refused (exit ${copy.exitCode}); copied after stop: ${USERS - revived} of ${USERS} logged-out tokens refused on the copy`,
      );
      assert.equal(revived, 0);
      await onCopy.close();
      assert.equal(await server.stop(), 0);
    } finally {
      await dir.remove();
    }
  });
});
