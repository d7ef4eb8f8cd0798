import { charField, validUsername, type FieldSpec, type Validator } from "./fields.js";

/**
 * Django's `User.username` and the registration email, as the account routes
 * declare them; `extra` adds the checks that need the store (uniqueness).
 * The CLI imports these (`@authctl/server/account-fields`) to check a typed
 * value before it is sent, with the server's own words.
 */
export const usernameField = (extra: Validator[] = []): FieldSpec<"username"> =>
  charField("username", { maxLength: 150, validators: [validUsername, ...extra] });

export const registrationEmailField = (): FieldSpec<"email"> => charField("email", { maxLength: 254, email: true });

/** The first message a field's own checks give a value (trimmed as the field trims it), if any. */
export async function firstProblem(field: FieldSpec, value: string): Promise<string | undefined> {
  const text = field.trim ? value.trim() : value;
  for (const check of field.validators) {
    const [message] = await check(text);
    if (message !== undefined) return message;
  }
  return undefined;
}
