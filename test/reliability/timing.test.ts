import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registration } from "../helpers/server.js";
import { tempDir, uniqueName } from "../helpers/temp.js";
import { client, median, serverOn } from "./support.js";

const SAMPLES = 100;
const OLD_COST = "4";
const NEW_COST = "10";

describe("login timing after a bcrypt cost upgrade", () => {
  it("takes as long for a known user with a wrong password as for an unknown user", async (t) => {
    const dir = await tempDir();
    try {
      const known = uniqueName("known");
      const before = await serverOn(dir.path, { AUTHCTL_BCRYPT_COST: OLD_COST });
      const setup = client(before.url);
      assert.equal((await setup.postJson("/account/register/", registration(known))).status, 201);
      await setup.close();
      await before.stop();

      // Throttling off: 100 failures on one name would otherwise end in 429.
      const server = await serverOn(dir.path, { AUTHCTL_BCRYPT_COST: NEW_COST, AUTHCTL_THROTTLE: "off" });
      const http = client(server.url, 1);
      try {
        const timeLogin = async (username: string) => {
          const start = performance.now();
          const answer = await http.postJson("/account/login/", { username, password: "wrong-password" });
          const elapsed = performance.now() - start;
          assert.equal(answer.status, 400);
          return elapsed;
        };
        await timeLogin(uniqueName("warmup"));
        const knownTimes: number[] = [];
        const unknownTimes: number[] = [];
        for (let i = 0; i < SAMPLES; i++) {
          knownTimes.push(await timeLogin(known));
          unknownTimes.push(await timeLogin(uniqueName("nobody")));
        }
        const ratio = median(knownTimes) / median(unknownTimes);
        t.diagnostic(
          `cost ${OLD_COST} hash, server at cost ${NEW_COST}: known user + wrong password median ${median(knownTimes).toFixed(1)} ms, ` +
            `unknown user median ${median(unknownTimes).toFixed(1)} ms, ratio ${ratio.toFixed(3)} (goal: within 10%)`,
        );
        // Fails only far outside the goal, so a busy machine cannot make it flaky.
        assert.ok(ratio > 0.67 && ratio < 1.5, `ratio ${ratio.toFixed(3)}`);
      } finally {
        await http.close();
        await server.stop();
      }
    } finally {
      await dir.remove();
    }
  });
});
