import type { Context, Middleware } from "koa";
import { authenticateToken } from "../auth/token-authentication.js";
import type { TokenPolicy } from "../auth/token-policy.js";
import type { TokenVault } from "../auth/tokens.js";
import { MethodNotAllowed, NotAuthenticated, Throttled } from "../errors.js";
import type { Store, TokenRecord, UserRecord } from "../store/store.js";
import { PARSER_MEDIA_TYPES, type ParserName } from "./body-parsers.js";
import { clientAddress } from "./client-address.js";
import { clientGone } from "./client-gone.js";
import type { JsonBodyParser } from "./json-body-parser.js";
import { negotiate } from "./negotiation.js";
import { readRequestData } from "./read-request-data.js";
import { render, type ApiState } from "./render.js";
import type { RequestData } from "./request-data.js";

export interface ViewRequest {
  method: string;
  /** The client's address as throttles see it. */
  clientAddress: string;
  user: UserRecord | undefined;
  /** The token that authenticated the request (never its key). */
  token: TokenRecord | undefined;
  /** The route's parameters, e.g. `id` of `/account/tokens/:id/`. */
  params: Readonly<Record<string, string>>;
  /** The User-Agent header, unchecked. */
  userAgent: string | undefined;
  /** Aborted once the client has gone before its answer (made on first use). */
  gone(): AbortSignal;
  /** The Host header, as Django's `request.get_host()` reads it (unchecked). */
  host: string | undefined;
  /** Parses the body on first use, as DRF's `request.data` does. */
  data(): Promise<RequestData>;
  /** Runs `task` once the answer has gone (or the client went away); it must not throw. */
  afterResponse(task: () => Promise<void>): void;
}

export interface Reply {
  status: number;
  body?: unknown;
}

export type Handler = (request: ViewRequest) => Promise<Reply>;

export interface ViewSpec {
  /** The name OPTIONS reports, as DRF derives it from the view. */
  name: string;
  /** In DRF's order of `http_method_names` (get, post, put, patch, delete, head), which `Allow` follows. */
  handlers: Partial<Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD", Handler>>;
  /** The view's docstring, as OPTIONS reports it. */
  description?: string;
  parsers: readonly ParserName[];
  requireAuth: boolean;
  /** DRF's `check_throttles`: seconds the client must wait, or undefined to go on. */
  throttle?: (request: ViewRequest) => Promise<number | undefined>;
  /** OPTIONS metadata `actions`, for views whose serializer DRF can describe. */
  actions?: Record<string, unknown>;
}

export interface ViewDeps {
  store: Store;
  tokens: TokenVault;
  tokenPolicy: TokenPolicy;
  /** The time (ms) token expiry is judged at. */
  clock: () => number;
  bodyLimit: number;
  trustedProxies: number;
  jsonParser: JsonBodyParser;
}

/**
 * DRF's `APIView.dispatch` order: content negotiation, authentication,
 * permission, throttles, then the method (405 comes after a failed login, not before).
 */
export function apiView(spec: ViewSpec, deps: ViewDeps): Middleware {
  const allow = [...Object.keys(spec.handlers), "OPTIONS"].join(", ");
  return async (ctx: Context) => {
    ctx.set("Allow", allow);
    // Most requests have no query string: skip parsing one.
    (ctx.state as ApiState).accepted = negotiate(ctx.req.headers.accept, ctx.querystring === "" ? undefined : lastValue(ctx.query.format));
    const owner = await authenticateToken(ctx.req.headers.authorization, {
      store: deps.store,
      vault: deps.tokens,
      policy: deps.tokenPolicy,
      clock: deps.clock,
    });
    if (spec.requireAuth && !owner) throw new NotAuthenticated();
    let data: Promise<RequestData> | undefined;
    let gone: AbortSignal | undefined;
    const request: ViewRequest = {
      method: ctx.method,
      clientAddress: clientAddress(ctx, deps.trustedProxies),
      user: owner?.user,
      token: owner?.token,
      params: (ctx as Context & { params?: Record<string, string> }).params ?? {},
      userAgent: ctx.req.headers["user-agent"],
      gone: () => (gone ??= clientGone(ctx.res)),
      host: ctx.req.headers.host,
      data: () => (data ??= readRequestData(ctx, spec.parsers, deps.bodyLimit, deps.jsonParser)),
      afterResponse: (task) => ctx.res.once("close", () => void task()),
    };
    const wait = await spec.throttle?.(request);
    if (wait !== undefined) throw new Throttled(wait);
    const reply = ctx.method === "OPTIONS" ? metadata(spec) : await handlerFor(spec, ctx.method)(request);
    render(ctx, reply.status, reply.body);
  };
}

function handlerFor(spec: ViewSpec, method: string): Handler {
  const handler = spec.handlers[method as keyof ViewSpec["handlers"]];
  if (!handler) throw new MethodNotAllowed(method);
  return handler;
}

function metadata(spec: ViewSpec): Reply {
  const body = {
    name: spec.name,
    description: spec.description ?? "",
    renders: ["application/json"],
    parses: spec.parsers.map((parser) => PARSER_MEDIA_TYPES[parser]),
    ...(spec.actions ? { actions: spec.actions } : {}),
  };
  return { status: 200, body };
}

function lastValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.at(-1) : value;
}
