import type { ViewSpec } from "../../http/api-view.js";
import { ValidationError } from "../../errors.js";
import type { UserRecord } from "../../store/store.js";
import { charField } from "../../validation/fields.js";
import { validate } from "../../validation/serializer.js";
import type { AccountDeps } from "./deps.js";

const BAD_CREDENTIALS = { non_field_errors: ["Unable to log in with provided credentials."] };

const fieldInfo = (label: string, readOnly = false) => ({
  type: "string",
  required: !readOnly,
  read_only: readOnly,
  label,
});

/**
 * `POST /account/login/`: DRF's `obtain_auth_token`. Returns the user's
 * existing token, creating one if they have none.
 */
export function loginView(deps: AccountDeps): ViewSpec {
  const fields = [charField("username"), charField("password", { trim: false })];
  return {
    name: "Obtain Auth Token",
    parsers: ["form", "multipart", "json"],
    requireAuth: false,
    actions: { POST: { username: fieldInfo("Username"), password: fieldInfo("Password"), token: fieldInfo("Token", true) } },
    handlers: {
      POST: async (request) => {
        const { username, password } = await validate(await request.data(), fields);
        const user = await checkCredentials(deps, username, password);
        const { tokens, store } = deps;
        const token = await store.getOrCreateToken(user.id, () => tokens.seal(tokens.generate()));
        return { status: 200, body: { token: tokens.open(token) } };
      },
    },
  };
}

/** Django's ModelBackend: inactive users and unknown names fail alike, in the same time. */
async function checkCredentials({ store, hasher }: AccountDeps, username: string, password: string): Promise<UserRecord> {
  const user = await store.findUserByUsername(username);
  if (!user) {
    await hasher.burn(password);
    throw new ValidationError(BAD_CREDENTIALS);
  }
  if (!(await hasher.verify(password, user.passwordHash)) || !user.isActive) throw new ValidationError(BAD_CREDENTIALS);
  if (hasher.needsRehash(user.passwordHash)) await store.setPasswordHash(user.id, await hasher.hash(password));
  return user;
}
