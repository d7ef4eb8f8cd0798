import busboy from "busboy";
import { Readable } from "node:stream";
import { TextDecoder } from "node:util";
import { ParseError, TooManyFields } from "../errors.js";
import type { JsonBodyParser } from "./json-body-parser.js";
import type { MediaType } from "./media-type.js";
import { UploadedFile, type FormValue, type RequestData } from "./request-data.js";

export type ParserName = "json" | "form" | "multipart";

export const PARSER_MEDIA_TYPES: Record<ParserName, string> = {
  json: "application/json",
  form: "application/x-www-form-urlencoded",
  multipart: "multipart/form-data",
};

/** Django's DATA_UPLOAD_MAX_NUMBER_FIELDS and DATA_UPLOAD_MAX_NUMBER_FILES. */
export const MAX_FORM_FIELDS = 1000;
export const MAX_FORM_FILES = 100;

export async function parseBody(
  parser: ParserName,
  raw: Buffer,
  type: MediaType,
  header: string,
  json: JsonBodyParser,
): Promise<RequestData> {
  switch (parser) {
    case "json":
      return parseJson(raw, type, json);
    case "form":
      return parseForm(raw, type);
    case "multipart":
      return parseMultipart(raw, header);
  }
}

// Python's names for ISO-8859-1, which TextDecoder does not offer (it maps them to windows-1252).
const LATIN1 = new Set(["latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1", "cp819"]);

/** Decodes in the charset the Content-Type names; throws on bytes invalid in it. */
function decodeText(raw: Buffer, type: MediaType): string {
  const charset = type.params.get("charset")?.toLowerCase() ?? "utf-8";
  if (LATIN1.has(charset)) return raw.toString("latin1");
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true, ignoreBOM: true });
  } catch {
    // Django ignores a charset it does not know and falls back to UTF-8.
    decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  }
  return decoder.decode(raw);
}

async function parseJson(raw: Buffer, type: MediaType, json: JsonBodyParser): Promise<RequestData> {
  let text: string;
  try {
    text = decodeText(raw, type);
  } catch {
    throw new ParseError(`JSON parse error - the body is not valid ${type.params.get("charset") ?? "utf-8"} text`);
  }
  return { kind: "json", summary: await json.parse(text) };
}

function parseForm(raw: Buffer, type: MediaType): RequestData {
  let text: string;
  try {
    text = decodeText(raw, type);
  } catch {
    // Django's QueryDict falls back to ISO-8859-1 for bodies that are not valid in their charset.
    text = raw.toString("latin1");
  }
  checkFieldCount(text);
  const fields = new Map<string, FormValue[]>();
  for (const [key, value] of new URLSearchParams(text)) appendTo(fields, key, value);
  return { kind: "form", fields };
}

function parseMultipart(raw: Buffer, header: string): Promise<RequestData> {
  if (!/;\s*boundary=/i.test(header)) {
    return Promise.reject(new ParseError("Multipart form parse error - Invalid boundary in multipart: None"));
  }
  return new Promise((resolve, reject) => {
    const fields = new Map<string, FormValue[]>();
    const files = new Map<string, FormValue[]>();
    const fail = (error: Error) => {
      reject(new ParseError(`Multipart form parse error - ${error.message}`));
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { "content-type": header }, limits: { fields: MAX_FORM_FIELDS, files: MAX_FORM_FILES } });
    } catch (error) {
      fail(error as Error);
      return;
    }
    parser.on("field", (name, value) => {
      appendTo(fields, name, value);
    });
    parser.on("fieldsLimit", () => {
      reject(new TooManyFields("fields", MAX_FORM_FIELDS));
    });
    parser.on("filesLimit", () => {
      reject(new TooManyFields("files", MAX_FORM_FILES));
    });
    parser.on("file", (name, stream, info) => {
      appendTo(files, name, new UploadedFile(info.filename ?? ""));
      stream.resume();
    });
    const finish = () => {
      // Django merges files into the data after the plain fields.
      for (const [name, values] of files) for (const value of values) appendTo(fields, name, value);
      resolve({ kind: "form", fields });
    };
    // Like Django, a form that stops short yields the fields read so far.
    parser.on("error", (error: Error) => {
      if (error.message === "Unexpected end of form") finish();
      else fail(error);
    });
    parser.on("close", finish);
    Readable.from([raw]).pipe(parser);
  });
}

/** Like Python's `parse_qsl(max_num_fields=…)`: every "&" starts a field, empty or not. */
function checkFieldCount(text: string): void {
  let fields = 1;
  for (let at = text.indexOf("&"); at >= 0; at = text.indexOf("&", at + 1)) {
    if (++fields > MAX_FORM_FIELDS) throw new TooManyFields("fields", MAX_FORM_FIELDS);
  }
}

function appendTo(map: Map<string, FormValue[]>, key: string, value: FormValue): void {
  const values = map.get(key);
  if (values) values.push(value);
  else map.set(key, [value]);
}
