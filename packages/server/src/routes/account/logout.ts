import type { ViewSpec } from "../../http/api-view.js";
import type { AccountDeps } from "./deps.js";

/** `POST /account/logout/`: deletes the caller's token; 200 with an empty body. */
export function logoutView({ store }: AccountDeps): ViewSpec {
  return {
    name: "Logout View",
    parsers: ["json", "form", "multipart"],
    requireAuth: true,
    handlers: {
      POST: async ({ user }) => {
        if (user) await store.deleteToken(user.id);
        return { status: 200 };
      },
    },
  };
}
