import assert from "node:assert/strict";
import { once } from "node:events";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { DATABASE_FILE } from "../../packages/server/src/store/database.js";
import { childrenOf } from "../helpers/processes.js";
import { registration } from "../helpers/server.js";
import { assertSameSecret } from "../helpers/secrets.js";
import { tempDir } from "../helpers/temp.js";
import { client, serverOn, since } from "./support.js";

function killAll(pids: readonly (number | undefined)[]): void {
  for (const pid of pids) {
    try {
      if (pid !== undefined) process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

const ROUNDS = 3;
const REGISTRATIONS = 1200;
const KILL_AFTER_ACKNOWLEDGED = 400;

/** DRF's token model (the default), and knox's: per-login, expiring tokens. */
const MODELS = [
  { name: "DRF's tokens", rounds: ROUNDS, settings: {}, perLogin: false },
  { name: "per-login tokens with a TTL", rounds: 1, settings: { AUTHCTL_TOKENS: "per-login", AUTHCTL_TOKEN_TTL: "10h" }, perLogin: true },
] as const;

for (const model of MODELS)
  describe(`kill -9 during concurrent registrations, ${model.name}`, () => {
    it(`loses no acknowledged registration over ${model.rounds} rounds of ${REGISTRATIONS}`, async (t) => {
      const dir = await tempDir();
      const acknowledged = new Map<string, string>();
      try {
        for (let round = 1; round <= model.rounds; round++) {
          // Every registration in flight at once, each on its own connection: lift the bounds for this test.
          const server = await serverOn(dir.path, {
            ...model.settings,
            AUTHCTL_HASH_MAX_WAIT_MS: "600000",
            AUTHCTL_MAX_CONNECTIONS: "2000",
            AUTHCTL_MAX_CONNECTIONS_PER_ADDRESS: "2000",
          });
          const http = client(server.url, REGISTRATIONS);
          // The whole server dies at once, its workers with the primary, as in a crash of the machine.
          const processes = [...childrenOf(server.child.pid), server.child.pid];
          let acked = 0;
          let unanswered = 0;
          const attempts = Array.from({ length: REGISTRATIONS }, async (_, i) => {
            const username = `r${round}u${i}`;
            try {
              const answer = await http.postJson("/account/register/", registration(username));
              assert.equal(answer.status, 201, answer.body);
              acknowledged.set(username, (JSON.parse(answer.body) as { token: string }).token);
              if (++acked === KILL_AFTER_ACKNOWLEDGED) killAll(processes);
            } catch (error) {
              if (error instanceof assert.AssertionError) throw error;
              unanswered++;
            }
          });
          await Promise.allSettled(attempts);
          for (const attempt of await Promise.allSettled(attempts)) if (attempt.status === "rejected") throw attempt.reason;
          await http.close().catch(() => {});
          // A few answers another worker had already sent when the kill came may still arrive.
          assert.ok(acked >= KILL_AFTER_ACKNOWLEDGED && acked < REGISTRATIONS, `the kill came mid-run (${acked} acknowledged)`);
          if (server.child.exitCode === null && server.child.signalCode === null) await once(server.child, "exit");
          assert.equal(server.child.signalCode, "SIGKILL", "killed mid-run");
          assert.ok(unanswered > 0, "some registrations were cut off");
          t.diagnostic(`round ${round}: SIGKILL after ${acked} acknowledged registrations; ${unanswered} got no answer`);
        }

        const restarted = await serverOn(dir.path, model.settings);
        const http = client(restarted.url, 16);
        try {
          const start = performance.now();
          const checks = [...acknowledged].map(async ([username, token]) => {
            const me = await http.request("/account/me/", { method: "GET", headers: { authorization: `Token ${token}` } });
            assert.equal(me.status, 200, `${username}'s token works after the crashes`);
            const answer = await http.postJson("/account/login/", { username, password: "s3cret-pw" });
            assert.equal(answer.status, 200, `${username} logs in after the crashes`);
            // DRF's model hands back the same token; knox's a new one for the new login.
            if (!model.perLogin)
              assertSameSecret((JSON.parse(answer.body) as { token: string }).token, token, `${username}'s token after the crashes`);
          });
          await Promise.all(checks);
          t.diagnostic(`after restart: all ${acknowledged.size} acknowledged users' tokens work and they log in (${since(start)} ms)`);
        } finally {
          await http.close();
          await restarted.stop();
        }
        const db = new Database(join(dir.path, DATABASE_FILE), { readonly: true });
        const orphans = db
          .prepare("SELECT count(*) AS n FROM users u LEFT JOIN tokens t ON t.user_id = u.id WHERE t.user_id IS NULL")
          .get() as { n: number };
        const integrity = db.pragma("integrity_check", { simple: true });
        db.close();
        assert.equal(orphans.n, 0, "no user without a token");
        assert.equal(integrity, "ok");
      } finally {
        await dir.remove();
      }
    });
  });
