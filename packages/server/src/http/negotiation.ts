import { NotAcceptable, NotFound } from "../errors.js";
import { mediaTypeMatches, parseMediaType } from "./media-type.js";

export const JSON_MEDIA_TYPE = "application/json";
const JSON_TYPE = parseMediaType(JSON_MEDIA_TYPE);

/** What content negotiation settled on: JSON, maybe indented as the client asked. */
export interface Accepted {
  indent?: number;
}

/**
 * DRF's DefaultContentNegotiation for a view that only renders JSON:
 * `?format=` other than json is a 404, an Accept header with nothing that
 * JSON satisfies is a 406, and `application/json; indent=N` indents (0..8).
 */
export function negotiate(accept: string | undefined, format: string | undefined): Accepted {
  if (format !== undefined && format !== "json") throw new NotFound();
  const key = accept ?? "";
  const known = settled.get(key);
  if (known) return known;
  const accepted = Object.freeze(negotiateAccept(accept));
  // Clients send a handful of Accept headers over and over: parse each once (bounded, first come).
  if (settled.size < MAX_SETTLED) settled.set(key, accepted);
  return accepted;
}

const MAX_SETTLED = 256;
const settled = new Map<string, Accepted>();

function negotiateAccept(accept: string | undefined): Accepted {
  const ranges = (accept ?? "*/*").split(",").map((token) => parseMediaType(token.trim()));
  for (const range of byPrecedence(ranges)) {
    if (mediaTypeMatches(JSON_TYPE, range)) return { indent: indentOf(range.params.get("indent")) };
  }
  throw new NotAcceptable();
}

function precedence(range: ReturnType<typeof parseMediaType>): number {
  if ([...range.params.keys()].some((key) => key !== "q")) return 3;
  if (range.sub !== "*") return 2;
  if (range.main !== "*") return 1;
  return 0;
}

function byPrecedence(ranges: ReturnType<typeof parseMediaType>[]) {
  return [...ranges].sort((a, b) => precedence(b) - precedence(a));
}

function indentOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*[-+]?\d+\s*$/.test(value)) return undefined;
  const indent = Math.max(Math.min(Number.parseInt(value, 10), 8), 0);
  return indent === 0 ? undefined : indent;
}
