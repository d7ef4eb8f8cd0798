import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** A real SMTP server on a free loopback port that keeps every message it is sent. */
export interface SmtpSink {
  port: number;
  /** The next message received (raw, headers and body), waiting for it to arrive. */
  next(): Promise<string>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received: string[] = [];
  const waiting: ((message: string) => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, done) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
      });
      stream.on("end", () => {
        const message = Buffer.concat(chunks).toString("utf8");
        const waiter = waiting.shift();
        if (waiter) waiter(message);
        else received.push(message);
        done();
      });
    },
  });
  server.listen(0, "127.0.0.1");
  await once(server.server, "listening");
  return {
    port: (server.server.address() as AddressInfo).port,
    next: () => {
      const message = received.shift();
      if (message !== undefined) return Promise.resolve(message);
      return new Promise((resolve) => {
        waiting.push(resolve);
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
