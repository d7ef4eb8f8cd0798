/**
 * The parsed request body, as a DRF serializer reads it: a JSON value, or the
 * QueryDict of a form, where a field's value is the last one sent.
 */
export type RequestData =
  | { kind: "json"; value: unknown }
  | { kind: "form"; fields: Map<string, FormValue[]> };

/** A form value: text, or an uploaded file (which no text field accepts). */
export type FormValue = string | UploadedFile;

export class UploadedFile {
  constructor(readonly filename: string) {}
}

/** A JSON number as Python's `json.loads` reads it: an int or a float, with `str()`'s text. */
export class JsonNumber {
  constructor(
    readonly text: string,
    readonly isInteger: boolean,
  ) {}
}

/** Marks a field the client did not send at all, DRF's `empty`. */
export const MISSING = Symbol("missing");

export const EMPTY_DATA: RequestData = { kind: "json", value: {} };

export function isDictionary(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber);
}

export function fieldValue(data: RequestData, name: string): unknown {
  if (data.kind === "form") return data.fields.get(name)?.at(-1) ?? MISSING;
  const object = data.value as Record<string, unknown>;
  return Object.hasOwn(object, name) ? object[name] : MISSING;
}
