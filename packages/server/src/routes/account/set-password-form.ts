import { ValidationError } from "../../errors.js";
import type { UserRecord } from "../../store/store.js";
import { charField } from "../../validation/fields.js";
import { passwordProblems, type PasswordPolicy } from "../../validation/password-rules.js";

/**
 * dj-rest-auth's new-password fields, as its serializers declare them
 * (`max_length=128`), kept as typed (DEVIATIONS.md: no trimming).
 */
export const newPasswordFields = () => [
  charField("new_password1", { maxLength: 128, trim: false }),
  charField("new_password2", { maxLength: 128, trim: false }),
];

/** The `max_length=128` password field of OPTIONS metadata. */
export const passwordFieldInfo = (label: string) => ({ type: "string", required: true, read_only: false, label, max_length: 128 });

/**
 * Django's SetPasswordForm: the two must match, then the password rules run
 * with the user's attributes; every message goes under `new_password2`.
 */
export function checkNewPassword(user: UserRecord, password1: string, password2: string, policy: PasswordPolicy): void {
  if (password1 !== password2) throw new ValidationError({ new_password2: ["The two password fields didn\u2019t match."] });
  const problems = passwordProblems(password2, user, policy);
  if (problems.length > 0) throw new ValidationError({ new_password2: problems });
}
