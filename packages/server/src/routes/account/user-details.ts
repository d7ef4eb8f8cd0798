import { ValidationError } from "../../errors.js";
import type { Handler, ViewSpec } from "../../http/api-view.js";
import { UniqueViolation, type UserRecord } from "../../store/store.js";
import { usernameField } from "../../validation/account-fields.js";
import { charField } from "../../validation/fields.js";
import { validateSome } from "../../validation/serializer.js";
import type { AccountDeps } from "./deps.js";

const USERNAME_TAKEN = "A user with that username already exists.";

/** dj-rest-auth's UserDetailsSerializer output. */
const details = (user: UserRecord) => ({
  pk: user.id,
  username: user.username,
  email: user.email,
  first_name: user.firstName,
  last_name: user.lastName,
});

const nameInfo = (label: string) => ({ type: "string", required: false, read_only: false, label, max_length: 150 });

/**
 * `GET/PUT/PATCH /account/user/`: dj-rest-auth's UserDetailsView, a DRF
 * RetrieveUpdateAPIView over Django's user: `username`, `first_name` and
 * `last_name` can change, `pk` and `email` are read-only (and ignored if sent).
 */
export function userDetailsView({ store }: AccountDeps): ViewSpec {
  const show: Handler = ({ user }) => Promise.resolve({ status: 200, body: user && details(user) });
  const update =
    (partial: boolean): Handler =>
    async (request) => {
      const user = request.user;
      if (!user) throw new Error("user details reached without a user");
      // DRF's UniqueValidator leaves the instance itself out.
      const uniqueUsername = async (value: string) => {
        const owner = await store.findUserByUsername(value);
        return owner && owner.id !== user.id ? [USERNAME_TAKEN] : [];
      };
      const fields = [
        usernameField([uniqueUsername]),
        charField("first_name", { maxLength: 150, required: false, allowBlank: true }),
        charField("last_name", { maxLength: 150, required: false, allowBlank: true }),
      ];
      const values = await validateSome(await request.data(), fields, { partial });
      let updated: UserRecord | undefined;
      try {
        updated = await store.updateUserDetails(user.id, {
          username: values.username,
          firstName: values.first_name,
          lastName: values.last_name,
        });
      } catch (error) {
        if (error instanceof UniqueViolation) throw new ValidationError({ username: [USERNAME_TAKEN] });
        throw error;
      }
      return { status: 200, body: details(updated ?? user) };
    };
  return {
    name: "User Details",
    description:
      "Reads and updates UserModel fields\nAccepts GET, PUT, PATCH methods.\n\nDefault accepted fields: username, first_name, last_name\nDefault display fields: pk, username, email, first_name, last_name\nRead-only fields: pk, email\n\nReturns UserModel fields.",
    parsers: ["json", "form", "multipart"],
    requireAuth: true,
    actions: {
      PUT: {
        pk: { type: "integer", required: false, read_only: true, label: "ID" },
        username: {
          type: "string",
          required: true,
          read_only: false,
          label: "Username",
          help_text: "Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
          max_length: 150,
        },
        email: { type: "email", required: false, read_only: true, label: "Email address" },
        first_name: nameInfo("First name"),
        last_name: nameInfo("Last name"),
      },
    },
    handlers: { GET: show, PUT: update(false), PATCH: update(true), HEAD: show },
  };
}
