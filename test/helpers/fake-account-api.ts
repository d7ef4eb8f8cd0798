import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";

export interface FakeRequest {
  path: string;
  body: Record<string, unknown>;
  at: number;
}

export type FakeHandler = (request: FakeRequest, count: number) => { status: number; body?: unknown; headers?: Record<string, string> };

/** Answers like a registration that always succeeds, with a fresh token. */
export const registerInstantly: FakeHandler = (request) => ({
  status: 201,
  body: {
    response: "Registration Successful!",
    username: request.body.username,
    email: request.body.email,
    token: randomBytes(20).toString("hex"),
  },
});

/**
 * A stand-in for the account API where the real server cannot do what a test
 * needs (answer 429 on cue, or 100 000 registrations without hashing). It
 * keeps only a count and, when asked, the requests' paths and times.
 */
export async function startFakeApi(handler: FakeHandler, options: { record?: boolean } = {}) {
  const requests: FakeRequest[] = [];
  let count = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      count++;
      const text = Buffer.concat(chunks).toString("utf8");
      const request: FakeRequest = { path: req.url ?? "", body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, at: Date.now() };
      if (options.record) requests.push({ ...request, body: {} });
      const answer = handler(request, count);
      const payload = answer.body === undefined ? "" : JSON.stringify(answer.body);
      res.writeHead(answer.status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...answer.headers });
      res.end(payload);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    count: () => count,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
