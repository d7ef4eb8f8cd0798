import { Throttled, ValidationError } from "../../errors.js";
import type { ViewSpec } from "../../http/api-view.js";
import { charField } from "../../validation/fields.js";
import { pyLen } from "../../validation/python.js";
import { validate } from "../../validation/serializer.js";
import type { AccountDeps } from "./deps.js";

/** Django's PasswordResetForm has `EmailField(max_length=254)`. */
const FORM_MAX_EMAIL = 254;

/**
 * `POST /account/password/reset/`: dj-rest-auth's PasswordResetView. The
 * answer is the same whether or not the address belongs to anyone, and it
 * goes before the user is even looked up: the mail (if any) is sent after it.
 * Requests are limited per client address and per e-mail address.
 */
export function passwordResetView({ throttles, resetMail }: AccountDeps): ViewSpec {
  const { resetPerAddress, resetPerEmail } = throttles;
  // dj-rest-auth's validate_email hands the data to Django's form, whose errors nest under the field.
  const formChecks = (value: string) => {
    const length = pyLen(value);
    if (length > FORM_MAX_EMAIL) {
      throw new ValidationError({ email: { email: [`Ensure this value has at most ${FORM_MAX_EMAIL} characters (it has ${length}).`] } });
    }
    return [];
  };
  const fields = [charField("email", { email: true, then: formChecks })];
  return {
    name: "Password Reset",
    description:
      "Calls Django Auth PasswordResetForm save method.\n\nAccepts the following POST parameters: email\nReturns the success/fail message.",
    parsers: ["json", "form", "multipart"],
    requireAuth: false,
    actions: { POST: { email: { type: "email", required: true, read_only: false, label: "Email" } } },
    throttle: ({ method, clientAddress }) =>
      resetPerAddress && method === "POST" ? resetPerAddress.take(clientAddress) : Promise.resolve(undefined),
    handlers: {
      POST: async (request) => {
        const { email } = await validate(await request.data(), fields);
        const wait = await resetPerEmail?.take(email.toLowerCase());
        if (wait !== undefined) throw new Throttled(wait);
        request.afterResponse(() => resetMail.requested(email, request.host));
        return { status: 200, body: { detail: "Password reset e-mail has been sent." } };
      },
    },
  };
}
