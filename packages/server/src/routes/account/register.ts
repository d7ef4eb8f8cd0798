import type { ViewSpec } from "../../http/api-view.js";
import { ValidationError } from "../../errors.js";
import { UniqueViolation } from "../../store/store.js";
import { registrationEmailField, usernameField } from "../../validation/account-fields.js";
import { charField, type Validator } from "../../validation/fields.js";
import { passwordProblems } from "../../validation/password-rules.js";
import { validate } from "../../validation/serializer.js";
import type { AccountDeps } from "./deps.js";
import { expiryField, newToken, pruneAfter, tokenName } from "./issue-token.js";

const USERNAME_TAKEN = "A user with that username already exists.";
const EMAIL_TAKEN = { error: "Email already exists!" };
const PASSWORDS_DIFFER = { error: "P1 and P2 should be same!" };

/** `POST /account/register/`: the seed's RegistrationSerializer, with the fixes in DEVIATIONS.md. */
export function registerView(deps: AccountDeps): ViewSpec {
  const { store, hasher, tokens, tokenPolicy, throttles, hashing, passwordPolicy, registerPasswordRules } = deps;
  const { registerPerAddress } = throttles;
  const uniqueUsername: Validator = async (value) => ((await store.usernameTaken(value)) ? [USERNAME_TAKEN] : []);
  const fields = [
    usernameField([uniqueUsername]),
    registrationEmailField(),
    charField("password", { maxLength: 128, trim: false }),
    charField("password2", { trim: false }),
  ];
  return {
    name: "Registration View",
    parsers: ["json", "form", "multipart"],
    requireAuth: false,
    // Like DRF's AnonRateThrottle, every attempt counts; OPTIONS and the like do not.
    throttle: ({ method, clientAddress }) =>
      registerPerAddress && method === "POST" ? registerPerAddress.take(clientAddress) : Promise.resolve(undefined),
    handlers: {
      POST: async (request) => {
        const data = await request.data();
        const values = await validate(data, fields);
        if (values.password !== values.password2) throw new ValidationError(PASSWORDS_DIFFER);
        if (registerPasswordRules) {
          const problems = passwordProblems(values.password, { username: values.username, email: values.email }, passwordPolicy);
          if (problems.length > 0) throw new ValidationError({ password: problems });
        }
        hashing.assertRoom(request.clientAddress);
        if (await store.emailTaken(values.email)) throw new ValidationError(EMAIL_TAKEN);
        const passwordHash = await hashing.run(request, () => hasher.hash(values.password));
        const key = tokens.generate();
        const token = newToken(deps, key, tokenName(request, data));
        try {
          await store.createUser({ username: values.username, email: values.email, passwordHash }, token, {
            perUser: !tokenPolicy.perLogin,
          });
        } catch (error) {
          if (!(error instanceof UniqueViolation)) throw error;
          // Lost a race with a concurrent registration: answer as if we had seen it first.
          throw new ValidationError(error.field === "username" ? { username: [USERNAME_TAKEN] } : EMAIL_TAKEN);
        }
        pruneAfter(request, deps);
        const body = {
          response: "Registration Successful!",
          username: values.username,
          email: values.email,
          token: key,
          ...expiryField(token.expiry),
        };
        return { status: 201, body };
      },
    },
  };
}
