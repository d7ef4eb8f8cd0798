import assert from "node:assert/strict";
import { it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { post } from "../helpers/http.js";
import { spawnServer } from "../helpers/server.js";
import { startSmtpSink } from "../helpers/smtp.js";
import { tempDir } from "../helpers/temp.js";

const BASE_ENV = {
  AUTHCTL_DATABASE_URL: undefined,
  AUTHCTL_SECRET_KEY: undefined,
  AUTHCTL_BCRYPT_COST: "4",
  AUTHCTL_SMTP_URL: undefined,
  AUTHCTL_PUBLIC_URL: undefined,
};

it("admin send-reset mails a link the running server accepts; list-users shows names and last login", async () => {
  const dir = await tempDir();
  const sink = await startSmtpSink();
  const admin = (args: string[], env: Record<string, string | undefined> = {}, input?: string) =>
    runCli(["admin", ...args, "--data-dir", dir.path], { env: { ...BASE_ENV, ...env }, ...(input === undefined ? {} : { input }) });
  const server = await spawnServer({ AUTHCTL_DATA_DIR: dir.path, AUTHCTL_WORKERS: "1" });
  try {
    assert.equal((await admin(["create-user", "ada", "-e", "ada@example.com", "--password-stdin"], {}, "0ld-passw0rd!")).exitCode, 0);

    const withoutSmtp = await admin(["send-reset", "ada", "--json"], { AUTHCTL_PUBLIC_URL: server.url });
    assert.equal(withoutSmtp.exitCode, 2);
    assert.match(withoutSmtp.stdout, /AUTHCTL_SMTP_URL/);
    const withoutUrl = await admin(["send-reset", "ada"], { AUTHCTL_SMTP_URL: sink.url });
    assert.equal(withoutUrl.exitCode, 2);
    assert.match(withoutUrl.stderr, /AUTHCTL_PUBLIC_URL/);
    assert.equal((await admin(["send-reset", "nobody"], { AUTHCTL_SMTP_URL: sink.url, AUTHCTL_PUBLIC_URL: server.url })).exitCode, 1);

    const sent = await admin(["send-reset", "ada", "--json"], { AUTHCTL_SMTP_URL: sink.url, AUTHCTL_PUBLIC_URL: server.url });
    assert.equal(sent.exitCode, 0, sent.stderr);
    assert.deepEqual(JSON.parse(sent.stdout), { username: "ada", email: "ada@example.com", sent: true });
    const mail = await sink.next("ada@example.com");
    const host = new URL(server.url).host;
    assert.equal(mail.subject, `Password reset on ${host}`);
    const link = new RegExp(`${server.url}/account/password/reset/confirm/([^/\\s]+)/([^/\\s]+)/`).exec(mail.text);
    assert.ok(link, mail.text);
    assert.ok(!sent.stdout.includes(link[2] ?? "") && !sent.stderr.includes(link[2] ?? ""), "the token is not printed");
    const confirm = { uid: link[1], token: link[2], new_password1: "N3w-passw0rd!", new_password2: "N3w-passw0rd!" };
    assert.equal((await post(`${server.url}/account/password/reset/confirm/`, confirm)).status, 200);
    assert.equal((await post(`${server.url}/account/login/`, { username: "ada", password: "N3w-passw0rd!" })).status, 200);

    const login = await post(`${server.url}/account/login/`, { username: "ada", password: "N3w-passw0rd!" });
    const token = (login.body as { token: string }).token;
    const patched = await fetch(`${server.url}/account/user/`, {
      method: "PATCH",
      headers: { authorization: `Token ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ first_name: "Ada", last_name: "Lovelace" }),
    });
    assert.equal(patched.status, 200);
    const listed = JSON.parse((await admin(["list-users", "--json"])).stdout) as Record<string, unknown>[];
    assert.deepEqual(
      listed.map(({ username, firstName, lastName, lastLogin }) => ({ username, firstName, lastName, lastLogin })),
      [
        // DRF's token login records no last_login, as on the reference.
        { username: "ada", firstName: "Ada", lastName: "Lovelace", lastLogin: null },
      ],
    );
    assert.match((await admin(["list-users"])).stdout, /^ada\tada@example\.com\tactive\t\S+\tnever\tAda\tLovelace$/m);
  } finally {
    await server.stop();
    await sink.close();
    await dir.remove();
  }
});
