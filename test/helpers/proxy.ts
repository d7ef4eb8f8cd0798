import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A real HTTP proxy on a free port that records every request reaching it and forwards none. */
export async function startRecordingProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    seen.push(`${request.method ?? "?"} ${request.url ?? "?"}`);
    request.resume();
    response.writeHead(502, { "content-type": "text/plain" }).end("the test proxy forwards nothing");
  });
  server.on("connect", (request: { url?: string }, socket: NodeJS.WritableStream & { destroy(): void }) => {
    seen.push(`CONNECT ${request.url ?? "?"}`);
    socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
