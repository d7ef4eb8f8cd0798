import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import fc from "fast-check";
import { tempDir } from "../helpers/temp.js";
import { client, serverOn, since } from "./support.js";

const RUNS = 10_000;
const CONFORM = fileURLToPath(new URL("../conformance/conform.mjs", import.meta.url));

const printable = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength });

const paths = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("/account/register/", "/account/login/") },
  fc.constantFrom(
    "/account/register/",
    "/account/login/",
    "/account/logout/",
    "/account/me/",
    "/account/login",
    "/account//login/",
    "/ACCOUNT/LOGIN/",
    "/account/login/?format=xml",
    "/account/login/?format=json&indent=4",
    "/healthz",
    "/%2e%2e/account/login/",
    "/account/login/%00",
    "/",
  ),
  fc.webPath().map((path) => (path.startsWith("/") ? path : `/${path}`)),
  fc.array(printable(12), { maxLength: 4 }).map((segments) => `/${segments.map(encodeURIComponent).join("/")}`),
);

const contentTypes = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=XyZ") },
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-16",
    "application/json; charset=latin-1",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=XyZ",
    "multipart/form-data",
    "text/plain",
    "*/*",
    "application/*",
  ),
  printable(40),
);

const deepJson = fc.nat({ max: 2000 }).map((depth) => `{"username": ${"[".repeat(depth)}${"]".repeat(depth)}, "password": "x"}`);
const accountJson = fc
  .record(
    {
      username: fc.oneof(fc.string(), fc.double(), fc.integer(), fc.constant(null), fc.jsonValue()),
      email: fc.oneof(fc.emailAddress(), fc.string(), fc.jsonValue()),
      password: fc.oneof(fc.string(), fc.jsonValue()),
      password2: fc.oneof(fc.string(), fc.jsonValue()),
    },
    { requiredKeys: [] },
  )
  .map((value) => JSON.stringify(value));
const multipart = fc
  .array(fc.tuple(printable(10), fc.string({ maxLength: 20 }), fc.boolean()), { maxLength: 5 })
  .map(
    (parts) =>
      parts
        .map(
          ([name, value, isFile]) =>
            `--XyZ\r\nContent-Disposition: form-data; name="${name}"${isFile ? '; filename="f.txt"' : ""}\r\n\r\n${value}\r\n`,
        )
        .join("") + "--XyZ--\r\n",
  );
const bodies = fc.oneof(
  accountJson,
  deepJson,
  fc.json(),
  fc.string(),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.dictionary(printable(10), fc.string({ maxLength: 20 })).map((fields) => new URLSearchParams(fields).toString()),
  multipart,
  fc.constant(undefined),
);

/** Absent three times in four, so most requests get as far as the views. */
const mostlyAbsent = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, arbitrary);

const requests = fc.record({
  method: fc.oneof({ weight: 6, arbitrary: fc.constant("POST") }, fc.constantFrom("GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")),
  path: paths,
  contentType: fc.option(contentTypes, { freq: 8 }),
  accept: mostlyAbsent(fc.oneof(fc.constantFrom("application/json", "text/html", "application/json; indent=4", "*/*;q=0"), printable(30))),
  authorization: mostlyAbsent(
    fc.oneof(
      fc.constant("Token "),
      printable(12).map((key) => `Token ${key}`),
      printable(50),
    ),
  ),
  body: bodies,
});

describe("property-based fuzzing", () => {
  it(`answers ${RUNS} random requests without a 5xx, then still passes every conformance case`, async (t) => {
    const dir = await tempDir();
    // Failed logins from the fuzzer would otherwise throttle the conformance run that follows.
    const server = await serverOn(dir.path, { AUTHCTL_THROTTLE_LOGIN_ADDRESS: "off" });
    const http = client(server.url, 1);
    const statuses = new Map<number, number>();
    try {
      const start = performance.now();
      await fc.assert(
        fc.asyncProperty(requests, async (request) => {
          const headers: Record<string, string> = {};
          if (request.contentType !== null) headers["content-type"] = request.contentType;
          if (request.accept !== null) headers.accept = request.accept;
          if (request.authorization !== null) headers.authorization = request.authorization;
          const hasBody = request.body !== undefined && request.method !== "GET" && request.method !== "HEAD";
          const answer = await http.request(request.path, {
            method: request.method,
            headers,
            ...(hasBody ? { body: request.body } : {}),
          });
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          assert.ok(answer.status < 500, `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
        }),
        { numRuns: RUNS },
      );
      const summary = [...statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${status}×${count}`)
        .join(" ");
      t.diagnostic(`${RUNS} fuzzed requests in ${since(start)} ms, no 5xx: ${summary}`);
      const conformance = spawnSync(process.execPath, [CONFORM, "--url", server.url], { encoding: "utf8", timeout: 120_000 });
      const result = /conformance: (\d+) passed, (\d+) failed/.exec(conformance.stdout);
      assert.ok(result, conformance.stdout + conformance.stderr);
      assert.equal(result[2], "0", conformance.stdout);
      t.diagnostic(`then ${result[0]}`);
      assert.doesNotMatch(server.output(), /ERROR/, "nothing was logged as an error");
    } finally {
      await http.close();
      await server.stop();
      await dir.remove();
    }
  });
});
