import { ParseError } from "../errors.js";
import { summarizeJson } from "./json-summary.js";
import type { JsonSummary } from "./request-data.js";

export type WorkerAnswer = { summary: JsonSummary } | { parseError: string };

/** Runs in a worker thread (see JsonBodyParser): errors come back as data, since classes do not cross threads. */
export default function parseInWorker(text: string): WorkerAnswer {
  try {
    return { summary: summarizeJson(text) };
  } catch (error) {
    if (error instanceof ParseError) return { parseError: error.message };
    throw error;
  }
}
