import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { smtpMailer } from "../../packages/server/src/mail/mailer.js";
import { setActive } from "../../packages/server/src/store/queries.js";
import { RESET_PAGE_HEADERS } from "../../packages/server/src/routes/reset-page.js";
import { post, registration } from "../helpers/http.js";
import { startInProcess, type InProcessServer } from "../helpers/server.js";
import { startSilentServer, startSmtpSink, type SmtpSink } from "../helpers/smtp.js";
import { waitFor } from "../helpers/wait.js";

const LINK = /http:\/\/(\S+?)\/account\/password\/reset\/confirm\/([^/\s]+)\/([^/\s]+)\//;

function recordingLog() {
  const lines: string[] = [];
  return { lines, log: { info: (line: string) => lines.push(line), error: (line: string) => lines.push(`ERROR ${line}`) } };
}

describe("password reset by mail, over a real SMTP server", () => {
  let sink: SmtpSink;
  let server: InProcessServer;
  const { lines, log } = recordingLog();

  before(async () => {
    sink = await startSmtpSink();
    server = await startInProcess({ log, mailer: smtpMailer(sink.url, "accounts@example.com") });
  });
  after(async () => {
    await server.close();
    await sink.close();
  });

  it("mails Django's message with a working link; the link works once, and never shows in the log", async () => {
    await post(`${server.url}/account/register/`, registration("ada"));
    const answer = await post(`${server.url}/account/password/reset/`, { email: "ADA@example.com" });
    assert.deepEqual(answer, { ...answer, status: 200, body: { detail: "Password reset e-mail has been sent." } });
    const mail = await sink.next("ada@example.com");
    const host = new URL(server.url).host;
    assert.equal(mail.from, "accounts@example.com");
    assert.equal(mail.subject, `Password reset on ${host}`);
    const [link, linkHost, uid, token] = LINK.exec(mail.text) ?? [];
    assert.equal(linkHost, host);
    assert.ok(link && uid && token, mail.text);
    assert.ok(mail.text.includes("Your username, in case you\u2019ve forgotten: ada"), mail.text);

    const page = await fetch(link);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /autocomplete="new-password"/);
    for (const [name, value] of Object.entries(RESET_PAGE_HEADERS)) assert.equal(page.headers.get(name), value);

    const confirm = { uid, token, new_password1: "N3w-passw0rd!", new_password2: "N3w-passw0rd!" };
    assert.equal((await post(`${server.url}/account/password/reset/confirm/`, confirm)).status, 200);
    assert.deepEqual((await post(`${server.url}/account/password/reset/confirm/`, confirm)).body, { token: ["Invalid value"] });
    assert.equal((await post(`${server.url}/account/login/`, { username: "ada", password: "N3w-passw0rd!" })).status, 200);
    assert.ok(lines.length > 0);
    assert.ok(
      lines.every((line) => !line.includes(token) && !line.includes(`/${uid}/`)),
      lines.join("\n"),
    );
  });

  it("sends nothing to an unknown address, with the same answer", async () => {
    await post(`${server.url}/account/register/`, registration("bob"));
    const unknown = await post(`${server.url}/account/password/reset/`, { email: "nobody@example.com" });
    assert.deepEqual(unknown.body, { detail: "Password reset e-mail has been sent." });
    // A later request's mail arrives; the unknown one never produced any.
    await post(`${server.url}/account/password/reset/`, { email: "bob@example.com" });
    await sink.next("bob@example.com");
    assert.equal(sink.mails.filter((mail) => mail.to.includes("nobody@example.com")).length, 0);
  });

  it("limits reset mail per e-mail address with DRF's 429, whatever the address's case", async () => {
    await post(`${server.url}/account/register/`, registration("cleo"));
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await post(`${server.url}/account/password/reset/`, { email: i % 2 ? "CLEO@example.com" : "cleo@example.com" })).status,
        200,
      );
    const sixth = await post(`${server.url}/account/password/reset/`, { email: "cleo@EXAMPLE.com" });
    assert.equal(sixth.status, 429);
    assert.match((sixth.body as { detail: string }).detail, /^Request was throttled\. Expected available in \d+ seconds?\.$/);
    assert.ok(sixth.headers.get("retry-after"));
  });
});

describe("where reset links point and who gets them", () => {
  it("uses AUTHCTL_PUBLIC_URL's host or the link template; sends nothing to inactive users or for a bad Host", async () => {
    const sink = await startSmtpSink();
    const { lines, log } = recordingLog();
    const resetLink = { publicUrl: "https://auth.example.com", linkTemplate: undefined };
    const server = await startInProcess({ log, config: { resetLink }, mailer: smtpMailer(sink.url, "accounts@example.com") });
    const frontend = await startInProcess({
      config: { resetLink: { publicUrl: undefined, linkTemplate: "https://app.example.com/reset/{uid}/{token}" } },
      mailer: smtpMailer(sink.url, "accounts@example.com"),
    });
    try {
      await post(`${server.url}/account/register/`, registration("gus"));
      await post(`${server.url}/account/password/reset/`, { email: "gus@example.com" });
      const mail = await sink.next("gus@example.com");
      assert.equal(mail.subject, "Password reset on auth.example.com");
      assert.match(mail.text, /\nhttps:\/\/auth\.example\.com\/account\/password\/reset\/confirm\/MQ\/[0-9a-z]+-[0-9a-f]{32}\/\n/);
      assert.match(mail.text, /\nThe auth\.example\.com team\n/);

      await post(`${frontend.url}/account/register/`, registration("hal"));
      await post(`${frontend.url}/account/password/reset/`, { email: "hal@example.com" });
      assert.match((await sink.next("hal@example.com")).text, /\nhttps:\/\/app\.example\.com\/reset\/MQ\/[0-9a-z]+-[0-9a-f]{32}\n/);

      await post(`${server.url}/account/register/`, registration("ivy"));
      await server.store.database.run((conn) => setActive(conn, 2, false));
      await post(`${server.url}/account/password/reset/`, { email: "ivy@example.com" });
      await post(`${server.url}/account/password/reset/`, { email: "gus@example.com" });
      await sink.next("gus@example.com");
      assert.equal(sink.mails.filter((mail) => mail.to.includes("ivy@example.com")).length, 0, "an inactive user gets no mail");
    } finally {
      await server.close();
      await frontend.close();
      await sink.close();
    }
    const bare = await startSmtpSink();
    const noPublicUrl = await startInProcess({ log, mailer: smtpMailer(bare.url, "accounts@example.com") });
    try {
      await post(`${noPublicUrl.url}/account/register/`, registration("jo"));
      // fetch cannot set Host: a raw request can.
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const body = JSON.stringify({ email: "jo@example.com" });
        const headers = { host: "evil.example.com/phish?", "content-type": "application/json", "content-length": String(body.length) };
        const request = httpRequest(`${noPublicUrl.url}/account/password/reset/`, { method: "POST", headers }, (response) => {
          response.resume();
          resolve(response.statusCode);
        });
        request.on("error", reject);
        request.end(body);
      });
      assert.equal(status, 200);
      await waitFor("the refusal is logged", () => lines.some((line) => line.includes("Host is not a valid host name")));
      assert.equal(bare.mails.length, 0);
    } finally {
      await noPublicUrl.close();
      await bare.close();
    }
  });
});

describe("password reset when mail cannot go", () => {
  it("answers as usual when the SMTP server refuses, and logs it without address or token", async () => {
    const sink = await startSmtpSink({ refuse: true });
    const { lines, log } = recordingLog();
    const server = await startInProcess({ log, mailer: smtpMailer(sink.url, "accounts@example.com") });
    try {
      await post(`${server.url}/account/register/`, registration("dora"));
      const answer = await post(`${server.url}/account/password/reset/`, { email: "dora@example.com" });
      assert.deepEqual([answer.status, answer.body], [200, { detail: "Password reset e-mail has been sent." }]);
      await waitFor("the failure is logged", () => lines.some((line) => line.startsWith("ERROR password reset mail")));
      const failure = lines.find((line) => line.startsWith("ERROR password reset mail")) ?? "";
      assert.match(failure, /user \d+ could not be sent: EENVELOPE at RCPT reply 550/);
      assert.doesNotMatch(failure, /dora/);
    } finally {
      await server.close();
      await sink.close();
    }
  });

  it("does not hang on an SMTP server that never answers: the answer comes at once, the send times out", async () => {
    const silent = await startSilentServer();
    const { lines, log } = recordingLog();
    const timeouts = { connectionTimeout: 300, greetingTimeout: 300, socketTimeout: 300 };
    const server = await startInProcess({ log, mailer: smtpMailer(silent.url, "accounts@example.com", timeouts) });
    try {
      await post(`${server.url}/account/register/`, registration("eve"));
      const answer = await post(`${server.url}/account/password/reset/`, { email: "eve@example.com" });
      assert.equal(answer.status, 200);
      await waitFor("the timeout is logged", () => lines.some((line) => line.startsWith("ERROR password reset mail")));
      assert.equal(silent.connections(), 1);
      assert.match(lines.find((line) => line.startsWith("ERROR")) ?? "", /ETIMEDOUT/);
    } finally {
      await server.close();
      await silent.close();
    }
  });

  it("without a mailer answers as documented and sends nothing", async () => {
    const sink = await startSmtpSink();
    const server = await startInProcess();
    try {
      await post(`${server.url}/account/register/`, registration("finn"));
      const answer = await post(`${server.url}/account/password/reset/`, { email: "finn@example.com" });
      assert.deepEqual(answer.body, { detail: "Password reset e-mail has been sent." });
      assert.equal(sink.mails.length, 0);
    } finally {
      await server.close();
      await sink.close();
    }
  });
});
