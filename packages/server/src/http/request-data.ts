/**
 * A request body as a DRF serializer reads it. For JSON, Python's view of the
 * document: the type of the top-level value and, for a dictionary, the type
 * and `str()` of each field. For a form, the QueryDict, where a field's value
 * is the last one sent.
 */
export type RequestData = { kind: "json"; summary: JsonSummary } | { kind: "form"; fields: Map<string, FormValue[]> };

/** The Python type names a serializer distinguishes; "file" is an upload in a form. */
export type PyType = "str" | "int" | "float" | "bool" | "NoneType" | "list" | "dict" | "file";

/** One value as a serializer sees it: its Python type and `str()` of it. */
export interface PyValue {
  type: PyType;
  text: string;
}

export interface JsonSummary {
  type: PyType;
  /** For a dictionary: each key's value. */
  fields?: Map<string, PyValue>;
}

/** A form value: text, or an uploaded file (which no text field accepts). */
export type FormValue = string | UploadedFile;

export class UploadedFile {
  constructor(readonly filename: string) {}
}

/** Marks a field the client did not send at all, DRF's `empty`. */
export const MISSING = Symbol("missing");

export const EMPTY_DATA: RequestData = { kind: "json", summary: { type: "dict", fields: new Map() } };

export function fieldValue(data: RequestData, name: string): PyValue | typeof MISSING {
  if (data.kind === "json") return data.summary.fields?.get(name) ?? MISSING;
  const value = data.fields.get(name)?.at(-1);
  if (value === undefined) return MISSING;
  return value instanceof UploadedFile ? { type: "file", text: value.filename } : { type: "str", text: value };
}
