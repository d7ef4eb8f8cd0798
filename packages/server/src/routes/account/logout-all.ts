import type { ViewSpec } from "../../http/api-view.js";
import type { AccountDeps } from "./deps.js";

/** `POST /account/logout/all/` (our addition, knox's `logoutall`): deletes every token of the user; 204. */
export function logoutAllView({ store }: AccountDeps): ViewSpec {
  return {
    name: "Logout All View",
    parsers: ["json", "form", "multipart"],
    requireAuth: true,
    handlers: {
      POST: async ({ user }) => {
        if (user) await store.deleteUserTokens(user.id);
        return { status: 204 };
      },
    },
  };
}
