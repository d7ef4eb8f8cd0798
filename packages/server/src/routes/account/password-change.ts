import type { ViewSpec } from "../../http/api-view.js";
import { charField } from "../../validation/fields.js";
import { validate } from "../../validation/serializer.js";
import type { AccountDeps } from "./deps.js";
import { checkNewPassword, newPasswordFields, passwordFieldInfo } from "./set-password-form.js";

const WRONG_OLD_PASSWORD = "Your old password was entered incorrectly. Please enter it again.";

/**
 * `POST /account/password/change/`: dj-rest-auth's PasswordChangeView with
 * OLD_PASSWORD_FIELD_ENABLED and without LOGOUT_ON_PASSWORD_CHANGE, so the
 * caller's token keeps working.
 */
export function passwordChangeView({ store, hasher, hashing, passwordPolicy }: AccountDeps): ViewSpec {
  return {
    name: "Password Change",
    description:
      "Calls Django Auth SetPasswordForm save method.\n\nAccepts the following POST parameters: new_password1, new_password2\nReturns the success/fail message.",
    parsers: ["json", "form", "multipart"],
    requireAuth: true,
    actions: {
      POST: {
        old_password: passwordFieldInfo("Old password"),
        new_password1: passwordFieldInfo("New password1"),
        new_password2: passwordFieldInfo("New password2"),
      },
    },
    handlers: {
      POST: async (request) => {
        const user = request.user;
        if (!user) throw new Error("password change reached without a user");
        // Django's check_password: a wrong one spends what a right one would (harden_runtime).
        const oldPasswordRight = async (value: string) => {
          const right = await hashing.run(request, async () => {
            if (await hasher.verify(value, user.passwordHash)) return true;
            await hasher.hardenRuntime(value, user.passwordHash);
            return false;
          });
          return right ? [] : [WRONG_OLD_PASSWORD];
        };
        const fields = [charField("old_password", { maxLength: 128, trim: false, then: oldPasswordRight }), ...newPasswordFields()];
        const values = await validate(await request.data(), fields);
        checkNewPassword(user, values.new_password1, values.new_password2, passwordPolicy);
        await store.setPasswordHash(user.id, await hashing.run(request, () => hasher.hash(values.new_password1)));
        return { status: 200, body: { detail: "New password has been saved." } };
      },
    },
  };
}
