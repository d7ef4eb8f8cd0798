import { decodeUid } from "../../auth/reset-tokens.js";
import { ValidationError } from "../../errors.js";
import type { ViewSpec } from "../../http/api-view.js";
import { charField } from "../../validation/fields.js";
import { validate } from "../../validation/serializer.js";
import type { AccountDeps } from "./deps.js";
import { checkNewPassword, newPasswordFields, passwordFieldInfo } from "./set-password-form.js";

const INVALID_UID = { uid: ["Invalid value"] };
const INVALID_TOKEN = { token: ["Invalid value"] };

/**
 * `POST /account/password/reset/confirm/`: dj-rest-auth's
 * PasswordResetConfirmView. The uid is checked first, then the token, then
 * the new password. A token works once: the new hash is written only over
 * the hash the token was made from, so of two uses at once one fails.
 */
export function passwordResetConfirmView({ store, hasher, hashing, passwordPolicy, resetTokens }: AccountDeps): ViewSpec {
  const fields = [...newPasswordFields(), charField("uid"), charField("token")];
  return {
    name: "Password Reset Confirm",
    description:
      "Password reset e-mail link is confirmed, therefore\nthis resets the user's password.\n\nAccepts the following POST parameters: token, uid,\n    new_password1, new_password2\nReturns the success/fail message.",
    parsers: ["json", "form", "multipart"],
    requireAuth: false,
    actions: {
      POST: {
        new_password1: passwordFieldInfo("New password1"),
        new_password2: passwordFieldInfo("New password2"),
        uid: { type: "string", required: true, read_only: false, label: "Uid" },
        token: { type: "string", required: true, read_only: false, label: "Token" },
      },
    },
    handlers: {
      POST: async (request) => {
        const values = await validate(await request.data(), fields);
        const id = decodeUid(values.uid);
        const user = id === undefined ? undefined : await store.findUserById(id);
        if (!user) throw new ValidationError(INVALID_UID);
        if (!resetTokens.check(user, values.token)) throw new ValidationError(INVALID_TOKEN);
        checkNewPassword(user, values.new_password1, values.new_password2, passwordPolicy);
        const next = await hashing.run(request, () => hasher.hash(values.new_password1));
        if (!(await store.replacePasswordHash(user.id, user.passwordHash, next))) throw new ValidationError(INVALID_TOKEN);
        return { status: 200, body: { detail: "Password has been reset with the new password." } };
      },
    },
  };
}
