import type { ViewSpec } from "../../http/api-view.js";

/** `GET /account/me/` (our addition): who a token belongs to, so clients can check it. */
export function meView(): ViewSpec {
  return {
    name: "Me View",
    parsers: ["json", "form", "multipart"],
    requireAuth: true,
    handlers: {
      GET: ({ user }) => Promise.resolve({ status: 200, body: { username: user?.username, email: user?.email } }),
    },
  };
}
