import { ValidationError } from "../errors.js";
import { MISSING, fieldValue, type PyValue, type RequestData } from "../http/request-data.js";
import type { FieldSpec } from "./fields.js";
import { pyStrip } from "./python.js";

/**
 * Runs DRF's `Serializer.is_valid()` over plain text fields: every field is
 * checked and the errors are reported together, in field order.
 */
export async function validate<Name extends string>(data: RequestData, fields: readonly FieldSpec<Name>[]): Promise<Record<Name, string>> {
  return (await validateSome(data, fields)) as Record<Name, string>;
}

/**
 * `validate` for fields that may be absent (not required, or any with
 * `partial`, as a PATCH is): only the values sent are returned.
 */
export async function validateSome<Name extends string>(
  data: RequestData,
  fields: readonly FieldSpec<Name>[],
  { partial = false } = {},
): Promise<Partial<Record<Name, string>>> {
  if (data.kind === "json" && data.summary.type === "NoneType") {
    throw new ValidationError({ non_field_errors: ["No data provided"] });
  }
  if (data.kind === "json" && data.summary.type !== "dict") {
    const message = `Invalid data. Expected a dictionary, but got ${data.summary.type}.`;
    throw new ValidationError({ non_field_errors: [message] });
  }
  const values: Partial<Record<Name, string>> = {};
  const errors: Record<string, string[]> = {};
  for (const field of fields) {
    const raw = fieldValue(data, field.name);
    if (raw === MISSING && (partial || !field.required)) continue;
    const result = await runField(field, raw);
    if (Array.isArray(result)) errors[field.name] = result;
    else values[field.name] = result.value;
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return values;
}

async function runField(field: FieldSpec, raw: PyValue | typeof MISSING): Promise<{ value: string } | string[]> {
  if (raw === MISSING) return ["This field is required."];
  if ((raw.type === "str" && raw.text === "") || (field.trim && pyStrip(raw.text) === "")) {
    return field.allowBlank ? { value: "" } : ["This field may not be blank."];
  }
  if (raw.type === "NoneType") return ["This field may not be null."];
  const text = field.toText(raw);
  if (text === undefined) return ["Not a valid string."];
  const value = field.trim ? pyStrip(text) : text;
  const messages: string[] = [];
  for (const validator of field.validators) messages.push(...(await validator(value)));
  if (messages.length === 0 && field.then) messages.push(...(await field.then(value)));
  return messages.length > 0 ? messages : { value };
}
