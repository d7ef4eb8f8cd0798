import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { createApi, type Api } from "../../packages/cli/src/api-client.js";
import { NotOffered, ServerRefused, ServerUnreachable } from "../../packages/cli/src/errors.js";

// The API client's side of dj-rest-auth's endpoints over real HTTP, against a server
// answering as DRF does (statuses, bodies, HTML pages): what each answer becomes.
// The DRF reference itself plays them in test/cli/lifecycle-drf.test.ts.

interface Heard {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

type Reply = { status: number; json?: unknown; html?: string };

describe("the API client on dj-rest-auth's endpoints", () => {
  let server: Server;
  let url: string;
  let api: Api;
  const heard: Heard[] = [];
  /** What the server answers, by "METHOD path"; anything else is a 404 page, as Django's. */
  const replies = new Map<string, Reply>();

  async function bodyOf(request: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  }

  before(async () => {
    server = createServer((request, response) => {
      void bodyOf(request).then((body) => {
        heard.push({ method: request.method ?? "", url: request.url ?? "", authorization: request.headers.authorization, body });
        const reply = replies.get(`${request.method ?? ""} ${request.url ?? ""}`) ?? { status: 404, html: "<h1>Not Found</h1>" };
        if (reply.html !== undefined) response.writeHead(reply.status, { "content-type": "text/html" }).end(reply.html);
        else response.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.json));
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    api = createApi({ timeoutMs: 5000, userAgent: "authctl-test" });
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    heard.length = 0;
    replies.clear();
  });

  it("sends DRF's field names with the token, and returns the server's words", async () => {
    replies.set("POST /account/password/change/", { status: 200, json: { detail: "New password has been saved." } });
    const detail = await api.changePassword(url, "t0k", { oldPassword: "old-1", newPassword: "new-1", newPasswordAgain: "new-2" });
    assert.equal(detail, "New password has been saved.");
    assert.deepEqual(heard, [
      {
        method: "POST",
        url: "/account/password/change/",
        authorization: "Token t0k",
        body: { old_password: "old-1", new_password1: "new-1", new_password2: "new-2" },
      },
    ]);
    replies.set("POST /account/password/reset/confirm/", {
      status: 200,
      json: { detail: "Password has been reset with the new password." },
    });
    await api.confirmPasswordReset(url, { uid: "MQ", token: "abc-123", newPassword: "n", newPasswordAgain: "n" });
    const [, confirm] = heard;
    assert.ok(confirm);
    assert.deepEqual(
      [confirm.body, confirm.authorization],
      [{ uid: "MQ", token: "abc-123", new_password1: "n", new_password2: "n" }, undefined],
    );
  });

  it("reads the user in the CLI's names, and PATCHes only what is given", async () => {
    const user = { pk: 7, username: "ada", email: "ada@example.com", first_name: "Ada", last_name: "" };
    replies.set("GET /account/user/", { status: 200, json: user });
    replies.set("PATCH /account/user/", { status: 200, json: { ...user, last_name: "Lovelace" } });
    assert.deepEqual(await api.user(url, "t"), { pk: 7, username: "ada", email: "ada@example.com", firstName: "Ada", lastName: "" });
    assert.equal((await api.updateUser(url, "t", { lastName: "Lovelace" })).lastName, "Lovelace");
    assert.deepEqual(heard[1]?.body, { last_name: "Lovelace" });
    replies.set("GET /account/user/", { status: 200, json: { username: "ada" } });
    await assert.rejects(
      api.user(url, "t"),
      (error: unknown) => error instanceof ServerUnreachable && /no pk, username, email, first_name and last_name/.test(error.message),
    );
  });

  it("checks with OPTIONS that the endpoint is there and takes the token; a 405 leaves it to the request", async () => {
    replies.set("OPTIONS /account/password/change/", { status: 200, json: { name: "Password Change" } });
    await api.offers(url, "passwordChange", "t");
    assert.deepEqual([heard[0]?.method, heard[0]?.authorization], ["OPTIONS", "Token t"]);
    replies.set("OPTIONS /account/password/change/", { status: 401, json: { detail: "Invalid token." } });
    await assert.rejects(
      api.offers(url, "passwordChange", "t"),
      (error: unknown) => error instanceof ServerRefused && error.hint === `log in again: authctl login --url ${url}`,
    );
    replies.set("OPTIONS /account/password/reset/", { status: 405, json: { detail: 'Method "OPTIONS" not allowed.' } });
    await api.offers(url, "passwordReset");
  });

  it("says a missing endpoint (a 404 page, a 405) is not offered, and a 5xx page is an unexpected answer", async () => {
    await assert.rejects(api.offers(url, "passwordReset"), (error: unknown) => {
      assert.ok(error instanceof NotOffered);
      assert.equal(error.message, `${url} does not offer password reset by e-mail: OPTIONS /account/password/reset/ answered HTTP 404`);
      assert.equal(error.exitCode, 3);
      return true;
    });
    replies.set("PATCH /account/user/", { status: 405, json: { detail: 'Method "PATCH" not allowed.' } });
    await assert.rejects(
      api.updateUser(url, "t", { firstName: "A" }),
      /does not offer user details: PATCH \/account\/user\/ answered HTTP 405/,
    );
    replies.set("POST /account/password/reset/", { status: 500, html: "<h1>Server Error (500)</h1>" });
    await assert.rejects(
      api.requestPasswordReset(url, "a@example.com"),
      (error: unknown) => error instanceof ServerUnreachable && !(error instanceof NotOffered),
    );
  });

  it("turns field errors, a throttle and a refused permission into refusals, in DRF's words", async () => {
    const errors = {
      new_password2: ["This password is too short. It must contain at least 8 characters.", "This password is too common."],
    };
    replies.set("POST /account/password/reset/confirm/", { status: 400, json: errors });
    await assert.rejects(
      api.confirmPasswordReset(url, { uid: "u", token: "t", newPassword: "p", newPasswordAgain: "p" }),
      (error: unknown) => {
        assert.ok(error instanceof ServerRefused);
        assert.deepEqual(error.details, errors);
        assert.equal(
          error.human,
          "new password: This password is too short. It must contain at least 8 characters.\nnew password: This password is too common.",
        );
        return true;
      },
    );
    replies.set("POST /account/password/reset/", {
      status: 429,
      json: { detail: "Request was throttled. Expected available in 3599 seconds." },
    });
    await assert.rejects(
      api.requestPasswordReset(url, "a@example.com"),
      (error: unknown) => error instanceof ServerRefused && error.human === "Request was throttled. Expected available in 3599 seconds.",
    );
    replies.set("GET /account/user/", { status: 403, json: { detail: "You do not have permission to perform this action." } });
    await assert.rejects(api.user(url, "t"), ServerRefused);
  });
});
