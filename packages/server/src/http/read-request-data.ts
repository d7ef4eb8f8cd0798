import type { Context } from "koa";
import getRawBody from "raw-body";
import { ParseError, PayloadTooLarge, UnsupportedMediaType } from "../errors.js";
import type { JsonBodyParser } from "./json-body-parser.js";
import { PARSER_MEDIA_TYPES, parseBody, type ParserName } from "./body-parsers.js";
import { mediaTypeMatches, parseMediaType, type MediaType } from "./media-type.js";
import { EMPTY_DATA, type RequestData } from "./request-data.js";

const PARSER_TYPES = Object.fromEntries(Object.entries(PARSER_MEDIA_TYPES).map(([name, type]) => [name, parseMediaType(type)])) as Record<
  ParserName,
  MediaType
>;

/** What Django's development server assumes when a request names no Content-Type. */
const DEFAULT_CONTENT_TYPE = "text/plain";

/**
 * Reads and parses the body the way DRF's `request.data` does, on demand:
 * an empty body is an empty dictionary whatever its type, the first parser
 * (in the view's order) that matches the Content-Type wins, and no match is a
 * 415 naming the type exactly as sent.
 */
export async function readRequestData(
  ctx: Context,
  parsers: readonly ParserName[],
  limit: number,
  json: JsonBodyParser,
): Promise<RequestData> {
  if (!hasBody(ctx)) return EMPTY_DATA;
  const header = ctx.req.headers["content-type"] ?? DEFAULT_CONTENT_TYPE;
  const type = parseMediaType(header);
  const parser = parsers.find((name) => mediaTypeMatches(PARSER_TYPES[name], type));
  if (!parser) throw new UnsupportedMediaType(header);
  return parseBody(parser, await readRaw(ctx, limit), type, header, json);
}

function hasBody(ctx: Context): boolean {
  const length = ctx.req.headers["content-length"];
  if (length !== undefined) return Number(length) > 0;
  return ctx.req.headers["transfer-encoding"] !== undefined;
}

async function readRaw(ctx: Context, limit: number): Promise<Buffer> {
  try {
    return await getRawBody(ctx.req, { limit, length: ctx.req.headers["content-length"] });
  } catch (error) {
    const { type, message } = error as { type?: string; message: string };
    if (type === "entity.too.large") throw new PayloadTooLarge(limit);
    throw new ParseError(`Could not read the request body: ${message}`);
  }
}
