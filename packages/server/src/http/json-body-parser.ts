import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { ParseError, ServiceUnavailable } from "../errors.js";
import { summarizeJson } from "./json-summary.js";
import type { WorkerAnswer } from "./json-worker.js";
import type { JsonSummary } from "./request-data.js";

/** Reads JSON bodies; the server's version keeps big ones off the event loop. */
export interface JsonBodyParser {
  parse(text: string): Promise<JsonSummary>;
  close(): Promise<void>;
}

/** Parses on the calling thread: for tests and tools, where no one else waits. */
export const inlineJsonParser: JsonBodyParser = {
  parse: (text) =>
    new Promise((resolve) => {
      resolve(summarizeJson(text));
    }),
  close: () => Promise.resolve(),
};

/** Below this size parsing takes microseconds and a thread hop would cost more. */
export const INLINE_JSON_BYTES = 16 * 1024;
/** Big bodies waiting for a parsing thread beyond this are refused with 503. */
export const MAX_QUEUED_BODIES = 256;

/**
 * Parses bodies of INLINE_JSON_BYTES or more on worker threads (piscina), so
 * a flood of megabyte documents costs the event loop nothing: /healthz and
 * token checks keep answering while the workers chew. The cores but one
 * are shared between the `processes` of a cluster, so N workers do not start
 * N × (cores − 1) threads.
 */
export function pooledJsonParser(processes = 1): JsonBodyParser {
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const pool = new Piscina({
    filename: new URL(`./json-worker${extension}`, import.meta.url).href,
    minThreads: 1,
    maxThreads: Math.max(1, Math.ceil((availableParallelism() - 1) / processes)),
    maxQueue: MAX_QUEUED_BODIES,
  });
  return {
    async parse(text) {
      if (text.length < INLINE_JSON_BYTES) return summarizeJson(text);
      let answer: WorkerAnswer;
      try {
        answer = (await pool.run(text)) as WorkerAnswer;
      } catch (error) {
        if ((error as Error).message.includes("Task queue is at limit")) {
          throw new ServiceUnavailable("The server is busy reading request bodies. Try again shortly.", 1);
        }
        throw error;
      }
      if ("parseError" in answer) throw new ParseError(answer.parseError);
      return answer.summary;
    },
    close: () => pool.destroy(),
  };
}
