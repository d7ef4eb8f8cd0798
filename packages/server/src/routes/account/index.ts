import Router from "@koa/router";
import { apiView, type ViewDeps, type ViewSpec } from "../../http/api-view.js";
import type { AccountDeps } from "./deps.js";
import { loginView } from "./login.js";
import { logoutView } from "./logout.js";
import { meView } from "./me.js";
import { registerView } from "./register.js";

const VIEWS: Record<string, (deps: AccountDeps) => ViewSpec> = {
  "/account/register/": registerView,
  "/account/login/": loginView,
  "/account/logout/": logoutView,
  "/account/me/": meView,
};

export const ACCOUNT_PATHS: ReadonlySet<string> = new Set(Object.keys(VIEWS));

export function accountRouter(deps: AccountDeps & ViewDeps): Router {
  const router = new Router({ strict: true, sensitive: true });
  for (const [path, view] of Object.entries(VIEWS)) router.all(path, apiView(view(deps), deps));
  return router;
}
