import Router from "@koa/router";
import type { Middleware } from "koa";
import { apiView, type ViewDeps, type ViewSpec } from "../../http/api-view.js";
import type { AccountDeps } from "./deps.js";
import { loginView } from "./login.js";
import { logoutAllView } from "./logout-all.js";
import { logoutView } from "./logout.js";
import { meView } from "./me.js";
import { passwordChangeView } from "./password-change.js";
import { passwordResetConfirmView } from "./password-reset-confirm.js";
import { passwordResetView } from "./password-reset.js";
import { registerView } from "./register.js";
import { tokensView, tokenView } from "./tokens.js";
import { userDetailsView } from "./user-details.js";

const VIEWS: Record<string, (deps: AccountDeps) => ViewSpec> = {
  "/account/register/": registerView,
  "/account/login/": loginView,
  "/account/logout/": logoutView,
  "/account/logout/all/": logoutAllView,
  "/account/tokens/": tokensView,
  "/account/me/": meView,
  "/account/password/change/": passwordChangeView,
  "/account/password/reset/": passwordResetView,
  "/account/password/reset/confirm/": passwordResetConfirmView,
  "/account/user/": userDetailsView,
};

/** Views at a path with a parameter. */
const PARAMETER_VIEWS: Record<string, (deps: AccountDeps) => ViewSpec> = {
  "/account/tokens/:id/": tokenView,
};

const ACCOUNT_PATHS: ReadonlySet<string> = new Set(Object.keys(VIEWS));
/** The paths of PARAMETER_VIEWS as Django's `<int:id>` converter matches them. */
const PARAMETER_PATH = /^\/account\/tokens\/[0-9]+\/$/;

/** Whether an account view answers at `path` (Django's URL resolver: what APPEND_SLASH redirects to). */
export const isAccountPath = (path: string): boolean => ACCOUNT_PATHS.has(path) || PARAMETER_PATH.test(path);

/**
 * The account views, every method at each path (strict, case-sensitive, as
 * @koa/router's `all` with those options matched them): a fixed path is one
 * Map lookup on the raw path, with no router state per request; only paths
 * with a parameter go through @koa/router, which decodes the parameter.
 */
export function accountRoutes(deps: AccountDeps & ViewDeps): Middleware {
  const fixed = new Map(Object.entries(VIEWS).map(([path, view]) => [path, apiView(view(deps), deps)]));
  const router = new Router({ strict: true, sensitive: true });
  for (const [path, view] of Object.entries(PARAMETER_VIEWS)) router.all(path, apiView(view(deps), deps));
  const withParameters = router.routes() as Middleware;
  return (ctx, next) => (fixed.get(ctx.path) ?? withParameters)(ctx, next) as Promise<void>;
}
