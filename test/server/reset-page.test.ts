import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import { chromium } from "playwright-core";
import { runCli } from "../helpers/cli.js";
import { post, registration } from "../helpers/http.js";
import { spawnServer } from "../helpers/server.js";
import { startSmtpSink } from "../helpers/smtp.js";
import { tempDir, uniqueName } from "../helpers/temp.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
/** The screenshots in docs/api.md are refreshed with AUTHCTL_UPDATE_SCREENSHOTS=1; otherwise they go to a temp dir. */
const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));
const skip = existsSync(CHROMIUM)
  ? false
  : `no chromium at ${CHROMIUM} (apt-get install -y chromium): the reset page is not tested in a browser`;

it("resets a password in a real browser from the link of a real mail, then the CLI logs in with it", { skip }, async () => {
  const sink = await startSmtpSink();
  const data = await tempDir();
  const config = await tempDir("authctl-config-");
  const shots = process.env.AUTHCTL_UPDATE_SCREENSHOTS === "1" ? DOCS : join(data.path, "shots");
  await mkdir(shots, { recursive: true });
  const server = await spawnServer({ AUTHCTL_DATA_DIR: data.path, AUTHCTL_SMTP_URL: sink.url, AUTHCTL_WORKERS: "1" });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const username = uniqueName("page");
    await post(`${server.url}/account/register/`, registration(username));
    await post(`${server.url}/account/password/reset/`, { email: `${username}@example.com` });
    const mail = await sink.next(`${username}@example.com`);
    const link = /http:\/\/\S+\/account\/password\/reset\/confirm\/([^/\s]+)\/([^/\s]+)\//.exec(mail.text);
    assert.ok(link, mail.text);
    const [url, uid, token] = link as unknown as [string, string, string];

    const page = await browser.newPage({ viewport: { width: 640, height: 560 } });
    const violations: string[] = [];
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) violations.push(message.text());
    });
    const posts: Promise<Record<string, string>>[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST") posts.push(request.allHeaders());
    });
    await page.goto(url);
    await page.getByLabel("New password", { exact: true }).waitFor();
    assert.equal(await page.getByLabel("New password", { exact: true }).getAttribute("autocomplete"), "new-password");
    assert.equal(await page.getByLabel("New password again").getAttribute("autocomplete"), "new-password");
    await page.screenshot({ path: join(shots, "reset-page.png") });

    await page.getByLabel("New password", { exact: true }).fill("password1");
    await page.getByLabel("New password again").fill("password1");
    await page.getByRole("button", { name: "Set the new password" }).click();
    const errors = page.locator("#new_password2-errors");
    await errors.getByText("This password is too common.").waitFor();
    assert.equal(await page.getByLabel("New password again").getAttribute("aria-invalid"), "true");
    await page.screenshot({ path: join(shots, "reset-page-error.png") });

    const password = "N3w-passw0rd!";
    await page.getByLabel("New password", { exact: true }).fill(password);
    await page.getByLabel("New password again").fill(password);
    await page.getByRole("button", { name: "Set the new password" }).click();
    await page.getByRole("status").getByText("Password has been reset with the new password.").waitFor();
    await page.screenshot({ path: join(shots, "reset-page-done.png") });
    const sent = await Promise.all(posts);
    assert.equal(sent.length, 2);
    assert.ok(
      sent.every((headers) => !("referer" in headers)),
      "the page's posts carry no Referer",
    );
    assert.deepEqual(violations, [], "no script or style was blocked by the page's Content-Security-Policy");

    const login = await runCli(["login", server.url, "-u", username, "--password-stdin", "--no-store"], {
      env: { AUTHCTL_CONFIG_DIR: config.path },
      input: password,
    });
    assert.equal(login.exitCode, 0, login.stderr);
    assert.match(login.stdout, /[0-9a-f]{40}/);
    assert.ok(!server.output().includes(token) && !server.output().includes(`/${uid}/`), "the reset link is not in the server's log");
  } finally {
    await browser.close();
    await server.stop();
    await sink.close();
    await data.remove();
    await config.remove();
  }
});
