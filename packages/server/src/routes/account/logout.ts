import type { ViewSpec } from "../../http/api-view.js";
import type { AccountDeps } from "./deps.js";

/**
 * `POST /account/logout/`: deletes the token that authenticated the request
 * (DRF: the user's one token; knox: this device's); 200 with an empty body.
 */
export function logoutView({ store }: AccountDeps): ViewSpec {
  return {
    name: "Logout View",
    parsers: ["json", "form", "multipart"],
    requireAuth: true,
    handlers: {
      POST: async ({ user, token }) => {
        if (user && token) await store.deleteTokenById(user.id, token.id);
        return { status: 200 };
      },
    },
  };
}
