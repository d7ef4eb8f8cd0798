import type { ViewSpec } from "../../http/api-view.js";
import { Throttled, ValidationError } from "../../errors.js";
import type { UserRecord } from "../../store/store.js";
import { charField } from "../../validation/fields.js";
import { validate } from "../../validation/serializer.js";
import type { AccountDeps } from "./deps.js";
import { expiryField, loginToken, pruneAfter, tokenName } from "./issue-token.js";

const BAD_CREDENTIALS = { non_field_errors: ["Unable to log in with provided credentials."] };

const fieldInfo = (label: string, readOnly = false) => ({
  type: "string",
  required: !readOnly,
  read_only: readOnly,
  label,
});

/**
 * `POST /account/login/`: DRF's `obtain_auth_token`. Returns the user's
 * existing token, creating one if they have none; or, in knox's model, a new
 * token for this device (named by a `name` field, else the User-Agent), with
 * its `expiry` when tokens expire. Failed logins are limited
 * per username and per client address (throttle/login-throttle.ts): a valid
 * attempt is counted before its password is checked and uncounted if it
 * succeeds; one past a limit is answered 429 without looking at the password.
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
        const data = await request.data();
        const { username, password } = await validate(data, fields);
        deps.hashing.assertRoom(request.clientAddress);
        const admission = await deps.throttles.login.admit(username, request.clientAddress);
        if (!admission.admitted) throw new Throttled(admission.wait);
        const { attempt } = admission;
        let user: UserRecord | undefined;
        try {
          user = await deps.hashing.run(request, () => checkCredentials(deps, username, password));
        } catch (error) {
          // The answer is this error; if withdrawing fails too, the attempt stays counted as a failure.
          await attempt.withdraw().catch(() => undefined);
          throw error;
        }
        // A failure stays counted.
        if (!user) throw new ValidationError(BAD_CREDENTIALS);
        await attempt.succeeded();
        const issued = await loginToken(deps, user.id, tokenName(request, data));
        pruneAfter(request, deps);
        return { status: 200, body: { ...expiryField(issued.expiry), token: issued.key } };
      },
    },
  };
}

/**
 * Django's ModelBackend: inactive users and unknown names fail alike, in the
 * same time. A stored hash cheaper than today's cost spends the difference on
 * a wrong password (Django's `harden_runtime`), so old accounts do not stand out.
 */
async function checkCredentials({ store, hasher }: AccountDeps, username: string, password: string): Promise<UserRecord | undefined> {
  const user = await store.findUserByUsername(username);
  if (!user) {
    await hasher.burn(password);
    return undefined;
  }
  if (!(await hasher.verify(password, user.passwordHash))) {
    await hasher.hardenRuntime(password, user.passwordHash);
    return undefined;
  }
  if (!user.isActive) return undefined;
  if (hasher.needsRehash(user.passwordHash)) await store.setPasswordHash(user.id, await hasher.hash(password));
  return user;
}
