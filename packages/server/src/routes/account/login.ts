import type { ViewRequest, ViewSpec } from "../../http/api-view.js";
import { ValidationError } from "../../errors.js";
import { fieldValue, MISSING } from "../../http/request-data.js";
import type { TokenVault } from "../../auth/tokens.js";
import type { Store, UserRecord } from "../../store/store.js";
import { charField, charToText } from "../../validation/fields.js";
import { pyStrip } from "../../validation/python.js";
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
 * existing token, creating one if they have none. Failed logins are counted
 * per username and per client address; past either limit the view answers
 * 429 before it looks at the password.
 */
export function loginView(deps: AccountDeps): ViewSpec {
  const fields = [charField("username"), charField("password", { trim: false })];
  const { loginPerUsername, loginPerAddress } = deps.throttles;
  return {
    name: "Obtain Auth Token",
    parsers: ["form", "multipart", "json"],
    requireAuth: false,
    actions: { POST: { username: fieldInfo("Username"), password: fieldInfo("Password"), token: fieldInfo("Token", true) } },
    throttle: async (request) => {
      const byUsernameWait = async () => {
        const username = request.method === "POST" && loginPerUsername ? await usernameOf(request) : undefined;
        return username === undefined ? undefined : loginPerUsername?.wait(username);
      };
      // Independent lookups: one round trip's time, not two, on a shared database.
      const [byAddress, byUsername] = await Promise.all([loginPerAddress?.wait(request.clientAddress), byUsernameWait()]);
      return byAddress === undefined && byUsername === undefined ? undefined : Math.max(byAddress ?? 0, byUsername ?? 0);
    },
    handlers: {
      POST: async (request) => {
        const { username, password } = await validate(await request.data(), fields);
        const user = await deps.hashing.run(request, () => checkCredentials(deps, username, password));
        if (!user) {
          await Promise.all([loginPerUsername?.record(username), loginPerAddress?.record(request.clientAddress)]);
          throw new ValidationError(BAD_CREDENTIALS);
        }
        return { status: 200, body: { token: await tokenOf(deps.store, deps.tokens, user.id) } };
      },
    },
  };
}

/** The username the serializer will read, for the throttle's key; undefined when it will not validate. */
async function usernameOf(request: ViewRequest): Promise<string | undefined> {
  const raw = fieldValue(await request.data(), "username");
  const text = raw === MISSING ? undefined : charToText(raw);
  return text === undefined ? undefined : pyStrip(text) || undefined;
}

/**
 * The user's token, made if they have none. One sealed under a key this server
 * no longer has (a restored database, a replaced key) is replaced by a new
 * token rather than failing the login; a concurrent login that replaced it
 * first wins, so both hand out the same token.
 */
async function tokenOf(store: Store, tokens: TokenVault, userId: number): Promise<string> {
  const stored = await store.getOrCreateToken(userId, () => tokens.seal(tokens.generate()));
  const key = tokens.tryOpen(stored);
  if (key !== undefined) return key;
  const fresh = tokens.generate();
  if (await store.replaceToken(userId, stored.digest, tokens.seal(fresh))) return fresh;
  return tokenOf(store, tokens, userId);
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
