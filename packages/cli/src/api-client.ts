import type { Dispatcher } from "undici";
import { NotOffered, ServerRefused, ServerUnreachable } from "./errors.js";
import { describeProxy, proxyFor } from "./proxy.js";
import { refusal } from "./refusals.js";
import { sanitizeLine } from "./text.js";

export interface Account {
  username: string;
  email: string;
}

/**
 * What the server says of a token. `account` is known only where the server
 * has `GET /account/me/`; elsewhere the token is checked with an
 * authenticated `OPTIONS /account/register/`, which DRF answers 200 for a
 * valid token and 401 `Invalid token.` otherwise.
 */
export type TokenCheck = { state: "accepted"; account?: Account } | { state: "rejected"; detail: string };

export interface RawRequest {
  method: string;
  path: string;
  token?: string;
  body?: string;
  contentType?: string;
}

export interface RawAnswer {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string | string[] | undefined>;
}

/** The user as dj-rest-auth's `user/` shows it (`first_name` and `last_name` there); `pk` and `email` are read-only. */
export interface UserDetails {
  pk: number;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
}

/** A token as login and registration hand it out, with its `expiry` where the server sets one (knox's model). */
export interface Issued {
  token: string;
  expiry?: string;
}

/** One of the user's tokens as `GET /account/tokens/` lists it (never the token itself). */
export interface ServerToken {
  id: number;
  name: string;
  created: string;
  /** When it stops working; null: never. */
  expiry: string | null;
  lastUsed: string | null;
  /** The token this request presented. */
  current: boolean;
}

export type UserChanges = Partial<Pick<UserDetails, "username" | "firstName" | "lastName">>;

/** A new password as the lifecycle endpoints take it: twice, for the server to compare. */
export interface NewPassword {
  newPassword: string;
  newPasswordAgain: string;
}

/** dj-rest-auth's account lifecycle endpoints, under the same /account/ prefix, and what each offers. */
export const LIFECYCLE = {
  passwordChange: { path: "/account/password/change/", offers: "password change" },
  passwordReset: { path: "/account/password/reset/", offers: "password reset by e-mail" },
  passwordResetConfirm: { path: "/account/password/reset/confirm/", offers: "password reset" },
  user: { path: "/account/user/", offers: "user details" },
} as const;

export type LifecycleEndpoint = keyof typeof LIFECYCLE;

/** The account API, as any DRF-compatible server speaks it. */
export interface Api {
  /** Fails unless an account API answers at the URL: asked before any password is typed. */
  probe(baseUrl: string): Promise<void>;
  register(baseUrl: string, input: Account & { password: string; password2: string }): Promise<Account & Issued>;
  /** `name` names this device's token where the server keeps one per login (knox's model); others ignore it. */
  login(baseUrl: string, username: string, password: string, name?: string): Promise<Issued>;
  /** Revokes the token; `rejected` when the server no longer knew it. */
  logout(baseUrl: string, token: string): Promise<"revoked" | "rejected">;
  check(baseUrl: string, token: string): Promise<TokenCheck>;
  /** The user's live tokens (`GET /account/tokens/`); NotOffered where the server has no such endpoint (DRF). */
  tokens(baseUrl: string, token: string): Promise<ServerToken[]>;
  /** Ends one of the user's tokens (`DELETE /account/tokens/{id}/`). */
  revokeToken(baseUrl: string, token: string, id: number): Promise<void>;
  /** Ends every token of the user (`POST /account/logout/all/`, knox's `logoutall`). */
  logoutAll(baseUrl: string, token: string): Promise<void>;
  /** Any request, for `authctl api`; the answer whatever its status. */
  request(baseUrl: string, input: RawRequest): Promise<RawAnswer>;
  /**
   * Fails unless the server has the endpoint (and, given a token, accepts it):
   * asked with `OPTIONS` before anything is typed.
   */
  offers(baseUrl: string, endpoint: LifecycleEndpoint, token?: string): Promise<void>;
  /** Each of these resolves to the server's own words (`detail`) on success. */
  changePassword(baseUrl: string, token: string, input: NewPassword & { oldPassword: string }): Promise<string>;
  requestPasswordReset(baseUrl: string, email: string): Promise<string>;
  confirmPasswordReset(baseUrl: string, input: NewPassword & { uid: string; token: string }): Promise<string>;
  user(baseUrl: string, token: string): Promise<UserDetails>;
  updateUser(baseUrl: string, token: string, changes: UserChanges): Promise<UserDetails>;
}

/** An HTTP answer with its JSON body parsed, for callers that judge statuses themselves (bulk provisioning). */
export interface Answer {
  status: number;
  body: unknown;
  html: boolean;
  headers: Record<string, string | string[] | undefined>;
}

/** One request to the account API; a network failure or timeout throws ServerUnreachable. */
export type Transport = (baseUrl: string, path: string, method: string, body?: object, token?: string) => Promise<Answer>;

export interface ApiOptions {
  timeoutMs: number;
  userAgent: string;
}

type Sender = (baseUrl: string, input: RawRequest) => Promise<RawAnswer>;

type Undici = typeof import("undici");
let undiciModule: Promise<Undici> | undefined;

/** undici takes longer to load than node itself to start: only commands that reach a server load it. */
function loadUndici(): Promise<Undici> {
  return (undiciModule ??= import("undici"));
}

/**
 * Keep-alive undici pools with connect/response timeouts. Requests to this
 * machine go direct; others follow HTTP_PROXY, HTTPS_PROXY and NO_PROXY (see proxy.ts).
 */
function createSender({ timeoutMs, userAgent }: ApiOptions): Sender {
  const timeouts = { connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs };
  let direct: Dispatcher | undefined;
  const proxies = new Map<string, Dispatcher>();
  const dispatcherFor = (undici: Undici, proxy: string | undefined): Dispatcher => {
    if (proxy === undefined) return (direct ??= new undici.Agent(timeouts));
    const agent = proxies.get(proxy) ?? new undici.ProxyAgent({ uri: proxy, ...timeouts });
    proxies.set(proxy, agent);
    return agent;
  };

  async function send(baseUrl: string, input: RawRequest): Promise<RawAnswer> {
    const headers: Record<string, string> = { "user-agent": userAgent, accept: "application/json" };
    if (input.contentType) headers["content-type"] = input.contentType;
    if (input.token) headers.authorization = `Token ${input.token}`;
    const url = `${baseUrl}${input.path}`;
    const proxy = await proxyFor(url);
    const undici = await loadUndici();
    try {
      const response = await undici.request(url, {
        method: input.method,
        headers,
        body: input.body ?? null,
        dispatcher: dispatcherFor(undici, proxy),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const contentType = String(response.headers["content-type"] ?? "");
      return { status: response.statusCode, contentType, body: await response.body.text(), headers: response.headers };
    } catch (error) {
      throw networkError(baseUrl, error, timeoutMs, proxy);
    }
  }
  return send;
}

function transportOver(send: Sender): Transport {
  return async (baseUrl, path, method, body, token) => {
    const json = body === undefined ? {} : { body: JSON.stringify(body), contentType: "application/json" };
    const answer = await send(baseUrl, { method, path, ...(token === undefined ? {} : { token }), ...json });
    return { status: answer.status, body: parseJson(answer.body), html: /html/i.test(answer.contentType), headers: answer.headers ?? {} };
  };
}

/** The account API's requests with the same routing, proxy rules and timeouts as every command. */
export function createTransport(options: ApiOptions): Transport {
  return transportOver(createSender(options));
}

/** The account API, as any DRF-compatible server speaks it. */
export function createApi(options: ApiOptions): Api {
  const send = createSender(options);
  const call = transportOver(send);
  return {
    async probe(baseUrl) {
      const answer = await call(baseUrl, "/account/login/", "OPTIONS");
      if (answer.status === 200 && typeof answer.body === "object" && answer.body !== null) return;
      throw unexpected(baseUrl, "/account/login/", answer);
    },
    async register(baseUrl, { username, email, password, password2 }) {
      const answer = await call(baseUrl, "/account/register/", "POST", { username, email, password, password2 });
      if (answer.status === 201 && hasStrings(answer.body, "username", "email", "token")) {
        return { username: answer.body.username, email: answer.body.email, ...issued(answer.body) };
      }
      throw refusalOrUnexpected(baseUrl, "/account/register/", answer, username);
    },
    async login(baseUrl, username, password, name) {
      const answer = await call(
        baseUrl,
        "/account/login/",
        "POST",
        name === undefined ? { username, password } : { username, password, name },
      );
      if (answer.status === 200 && hasStrings(answer.body, "token")) return issued(answer.body);
      throw refusalOrUnexpected(baseUrl, "/account/login/", answer, username);
    },
    async logout(baseUrl, token) {
      const answer = await call(baseUrl, "/account/logout/", "POST", undefined, token);
      if (answer.status === 200) return "revoked";
      if (answer.status === 401) return "rejected";
      throw unexpected(baseUrl, "/account/logout/", answer);
    },
    async check(baseUrl, token) {
      const me = await call(baseUrl, "/account/me/", "GET", undefined, token);
      if (me.status === 200 && hasStrings(me.body, "username", "email")) {
        return { state: "accepted", account: { username: me.body.username, email: me.body.email } };
      }
      if (me.status === 401) return { state: "rejected", detail: detailOf(me.body) ?? "rejected" };
      if (me.status !== 404) throw unexpected(baseUrl, "/account/me/", me);
      const options = await call(baseUrl, "/account/register/", "OPTIONS", undefined, token);
      if (options.status === 200) return { state: "accepted" };
      if (options.status === 401) return { state: "rejected", detail: detailOf(options.body) ?? "rejected" };
      throw unexpected(baseUrl, "/account/register/", options);
    },
    async tokens(baseUrl, token) {
      const answer = await call(baseUrl, TOKENS_PATH, "GET", undefined, token);
      const body = tokenEndpoint(baseUrl, "GET", TOKENS_PATH, answer, 200);
      if (!Array.isArray(body)) throw unexpected(baseUrl, TOKENS_PATH, answer);
      return body.map((entry) => serverToken(baseUrl, entry));
    },
    async revokeToken(baseUrl, token, id) {
      const path = `${TOKENS_PATH}${id}/`;
      const answer = await call(baseUrl, path, "DELETE", undefined, token);
      if (answer.status === 404 && detailOf(answer.body) === "Not found.") {
        // Our server answers an unknown id so; a server without the endpoint would too, so the listing tells which.
        await this.tokens(baseUrl, token);
        throw new ServerRefused(
          `no token ${id} among the account's tokens at ${baseUrl}`,
          { detail: "Not found." },
          `list them with: authctl tokens --url ${baseUrl}`,
        );
      }
      tokenEndpoint(baseUrl, "DELETE", path, answer, 204);
    },
    async logoutAll(baseUrl, token) {
      tokenEndpoint(baseUrl, "POST", LOGOUT_ALL_PATH, await call(baseUrl, LOGOUT_ALL_PATH, "POST", undefined, token), 204);
    },
    request: send,
    async offers(baseUrl, endpoint, token) {
      const answer = await call(baseUrl, LIFECYCLE[endpoint].path, "OPTIONS", undefined, token);
      // 405: the path is there but not its metadata; the request itself will tell.
      if (answer.status !== 405) judge(baseUrl, endpoint, "OPTIONS", answer);
    },
    async changePassword(baseUrl, token, { oldPassword, newPassword, newPasswordAgain }) {
      const body = { old_password: oldPassword, new_password1: newPassword, new_password2: newPasswordAgain };
      return detailOf(await lifecycle(baseUrl, "passwordChange", "POST", body, token)) ?? "";
    },
    async requestPasswordReset(baseUrl, email) {
      return detailOf(await lifecycle(baseUrl, "passwordReset", "POST", { email })) ?? "";
    },
    async confirmPasswordReset(baseUrl, { uid, token, newPassword, newPasswordAgain }) {
      const body = { uid, token, new_password1: newPassword, new_password2: newPasswordAgain };
      return detailOf(await lifecycle(baseUrl, "passwordResetConfirm", "POST", body)) ?? "";
    },
    async user(baseUrl, token) {
      return userOf(baseUrl, await lifecycle(baseUrl, "user", "GET", undefined, token));
    },
    async updateUser(baseUrl, token, { username, firstName, lastName }) {
      const body = Object.fromEntries(
        Object.entries({ username, first_name: firstName, last_name: lastName }).filter(([, value]) => value !== undefined),
      );
      return userOf(baseUrl, await lifecycle(baseUrl, "user", "PATCH", body, token));
    },
  };

  async function lifecycle(baseUrl: string, endpoint: LifecycleEndpoint, method: string, body?: object, token?: string): Promise<object> {
    return judge(baseUrl, endpoint, method, await call(baseUrl, LIFECYCLE[endpoint].path, method, body, token));
  }
}

const TOKENS_PATH = "/account/tokens/";
const LOGOUT_ALL_PATH = "/account/logout/all/";
const NO_TOKEN_LIST_HINT = "the server keeps DRF's one token per user: authctl logout revokes it for every client";

/** An answer of the token endpoints (our additions): the body on `expected`, else the refusal, the missing endpoint, or the surprise. */
function tokenEndpoint(baseUrl: string, method: string, path: string, answer: Answer, expected: number): unknown {
  if (answer.status === expected && !answer.html) return answer.body;
  if (answer.status === 404 || answer.status === 405) {
    throw new NotOffered(
      `${baseUrl} does not offer per-device tokens: ${method} ${path} answered HTTP ${answer.status}`,
      NO_TOKEN_LIST_HINT,
    );
  }
  if ([401, 403, 429].includes(answer.status) && typeof answer.body === "object" && answer.body !== null)
    throw refusal(answer.body, { url: baseUrl });
  throw unexpected(baseUrl, path, answer);
}

function serverToken(baseUrl: string, entry: unknown): ServerToken {
  const fields = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
  const created = isoTime(fields.created);
  if (typeof fields.id !== "number" || created === null || typeof fields.current !== "boolean") {
    throw new ServerUnreachable(`unexpected answer from ${baseUrl}${TOKENS_PATH}: a token without id, created or current`);
  }
  return {
    id: fields.id,
    name: typeof fields.name === "string" ? sanitizeLine(fields.name) : "",
    created,
    expiry: isoTime(fields.expiry),
    lastUsed: isoTime(fields.last_used),
    current: fields.current,
  };
}

const NOT_OFFERED_HINT =
  "these commands need dj-rest-auth's endpoints under /account/ (password/change/, password/reset/, password/reset/confirm/, user/); check the URL, or ask the server's administrator";

/** A lifecycle endpoint's answer: its JSON body when 2xx, else the refusal, the missing endpoint, or the surprise. */
function judge(baseUrl: string, endpoint: LifecycleEndpoint, method: string, answer: Answer): object {
  const { path, offers } = LIFECYCLE[endpoint];
  const isObject = typeof answer.body === "object" && answer.body !== null && !answer.html;
  if (answer.status >= 200 && answer.status <= 299 && isObject) return answer.body as object;
  if (answer.status === 404 || answer.status === 405) {
    throw new NotOffered(`${baseUrl} does not offer ${offers}: ${method} ${path} answered HTTP ${answer.status}`, NOT_OFFERED_HINT);
  }
  // 400: DRF's field errors; 401: no or a bad token; 403: not allowed; 429: throttled.
  if ([400, 401, 403, 429].includes(answer.status) && isObject) throw refusal(answer.body as object, { url: baseUrl });
  throw unexpected(baseUrl, path, answer);
}

function userOf(baseUrl: string, body: object): UserDetails {
  const fields = body as Record<string, unknown>;
  if (typeof fields.pk !== "number" || !hasStrings(body, "username", "email", "first_name", "last_name")) {
    throw new ServerUnreachable(
      `unexpected answer from ${baseUrl}${LIFECYCLE.user.path}: no pk, username, email, first_name and last_name`,
    );
  }
  return { pk: fields.pk, username: body.username, email: body.email, firstName: body.first_name, lastName: body.last_name };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** An ISO 8601 time as DRF and knox write one: nothing else is kept or printed (Date.parse alone lets through text a terminal obeys). */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/;

/** A time the server gave, when it is one; null for anything else. */
function isoTime(value: unknown): string | null {
  return typeof value === "string" && ISO_TIME.test(value) && !Number.isNaN(Date.parse(value)) ? value : null;
}

/** The token and, when the server gave a well-formed one, its expiry. */
function issued(body: { token: string }): Issued {
  const expiry = isoTime((body as { expiry?: unknown }).expiry);
  return expiry === null ? { token: body.token } : { token: body.token, expiry };
}

function hasStrings<K extends string>(body: unknown, ...keys: K[]): body is Record<K, string> {
  return typeof body === "object" && body !== null && keys.every((key) => typeof (body as Record<string, unknown>)[key] === "string");
}

function detailOf(body: unknown): string | undefined {
  return hasStrings(body, "detail") ? sanitizeLine(body.detail) : undefined;
}

function refusalOrUnexpected(baseUrl: string, path: string, answer: Answer, username: string): Error {
  if (answer.status !== 400 || typeof answer.body !== "object" || answer.body === null) return unexpected(baseUrl, path, answer);
  return refusal(answer.body, { username });
}

const NOT_AN_API_HINT = "check the URL: give the base URL under which /account/login/ lives, e.g. https://example.com/api";

function unexpected(baseUrl: string, path: string, answer: Answer): ServerUnreachable {
  if (answer.html || typeof answer.body !== "object" || [404, 405, 501].includes(answer.status)) {
    return new ServerUnreachable(
      `not an account API at this URL: ${baseUrl}${path} answered HTTP ${answer.status}${answer.html ? " with a web page" : ""}`,
      NOT_AN_API_HINT,
    );
  }
  const detail = detailOf(answer.body);
  return new ServerUnreachable(`unexpected answer from ${baseUrl}${path}: HTTP ${answer.status}${detail ? ` (${detail})` : ""}`);
}

function networkError(baseUrl: string, error: unknown, timeoutMs: number, proxy: string | undefined): ServerUnreachable {
  const { code, name, message } = error as { code?: string; name?: string; message?: string };
  const hint = `check the URL and that the server is running (authctl serve starts one); base URL in use: ${baseUrl}`;
  if (proxy !== undefined && code === "UND_ERR_ABORTED") {
    return new ServerUnreachable(
      `cannot reach ${baseUrl} through the proxy ${describeProxy(proxy)}: ${sanitizeLine(message ?? code)}`,
      "check HTTP_PROXY, HTTPS_PROXY and NO_PROXY",
    );
  }
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG") {
    return new ServerUnreachable(
      `cannot reach ${baseUrl}: the server does not speak TLS; try http://`,
      `use --url ${baseUrl.replace(/^https:/, "http:")}`,
    );
  }
  const reasons: Record<string, string> = { ECONNREFUSED: "connection refused", ENOTFOUND: "host not found", EAI_AGAIN: "host not found" };
  const timedOut =
    ["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"].includes(code ?? "") || name === "TimeoutError";
  const reason = timedOut ? `no answer within ${timeoutMs / 1000}s` : ((code && reasons[code]) ?? code ?? message ?? String(error));
  return new ServerUnreachable(`cannot reach ${baseUrl}: ${sanitizeLine(reason)}`, hint);
}
