import { EnvHttpProxyAgent, request } from "undici";
import { ServerRefused, ServerUnreachable } from "./errors.js";

export interface Account {
  username: string;
  email: string;
}

/** What the server says of a token. */
export type TokenCheck =
  | { state: "accepted"; account: Account }
  | { state: "rejected"; detail: string }
  /** The server has no `/account/me/` (an original DRF app): the token cannot be checked. */
  | { state: "uncheckable" };

/** The account API, as any DRF-compatible server speaks it. */
export interface Api {
  register(baseUrl: string, input: Account & { password: string; password2: string }): Promise<Account & { token: string }>;
  login(baseUrl: string, username: string, password: string): Promise<string>;
  /** Revokes the token; `rejected` when the server no longer knew it. */
  logout(baseUrl: string, token: string): Promise<"revoked" | "rejected">;
  check(baseUrl: string, token: string): Promise<TokenCheck>;
}

/** An HTTP answer as it came, for callers that judge statuses themselves (bulk provisioning). */
export interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** One request to the account API; a network failure or timeout throws ServerUnreachable. */
export type Transport = (baseUrl: string, path: string, method: "GET" | "POST", body?: object, token?: string) => Promise<Answer>;

export interface ApiOptions {
  timeoutMs: number;
  userAgent: string;
}

/** One keep-alive undici pool with connect/response timeouts that honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY. */
export function createTransport({ timeoutMs, userAgent }: ApiOptions): Transport {
  const dispatcher = new EnvHttpProxyAgent({ connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });

  return async function call(baseUrl: string, path: string, method: "GET" | "POST", body?: object, token?: string): Promise<Answer> {
    const headers: Record<string, string> = { "user-agent": userAgent, accept: "application/json" };
    if (body) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Token ${token}`;
    try {
      const response = await request(`${baseUrl}${path}`, {
        method,
        headers,
        body: body ? JSON.stringify(body) : null,
        dispatcher,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.body.text();
      return { status: response.statusCode, body: parseJson(text), headers: response.headers };
    } catch (error) {
      throw new ServerUnreachable(`cannot reach ${baseUrl}: ${describeNetworkError(error, timeoutMs)}`, reachHint(baseUrl));
    }
  };
}

/** The account API over one transport. */
export function createApi(options: ApiOptions): Api {
  const call = createTransport(options);
  return {
    async register(baseUrl, { username, email, password, password2 }) {
      const answer = await call(baseUrl, "/account/register/", "POST", { username, email, password, password2 });
      if (answer.status === 201 && hasStrings(answer.body, "username", "email", "token")) return answer.body;
      throw refusalOrUnexpected(baseUrl, "/account/register/", answer);
    },
    async login(baseUrl, username, password) {
      const answer = await call(baseUrl, "/account/login/", "POST", { username, password });
      if (answer.status === 200 && hasStrings(answer.body, "token")) return answer.body.token;
      throw refusalOrUnexpected(baseUrl, "/account/login/", answer);
    },
    async logout(baseUrl, token) {
      const answer = await call(baseUrl, "/account/logout/", "POST", undefined, token);
      if (answer.status === 200) return "revoked";
      if (answer.status === 401) return "rejected";
      throw unexpected(baseUrl, "/account/logout/", answer);
    },
    async check(baseUrl, token) {
      const answer = await call(baseUrl, "/account/me/", "GET", undefined, token);
      if (answer.status === 200 && hasStrings(answer.body, "username", "email")) {
        return { state: "accepted", account: { username: answer.body.username, email: answer.body.email } };
      }
      if (answer.status === 401) return { state: "rejected", detail: detailOf(answer.body) ?? "rejected" };
      if (answer.status === 404) return { state: "uncheckable" };
      throw unexpected(baseUrl, "/account/me/", answer);
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function hasStrings<K extends string>(body: unknown, ...keys: K[]): body is Record<K, string> {
  return typeof body === "object" && body !== null && keys.every((key) => typeof (body as Record<string, unknown>)[key] === "string");
}

function detailOf(body: unknown): string | undefined {
  return hasStrings(body, "detail") ? body.detail : undefined;
}

function refusalOrUnexpected(baseUrl: string, path: string, answer: Answer): Error {
  if (answer.status !== 400 || typeof answer.body !== "object" || answer.body === null) return unexpected(baseUrl, path, answer);
  return new ServerRefused(describeRefusal(answer.body), answer.body);
}

/** DRF error bodies as readable lines: `username: A user with that username already exists.` */
export function describeRefusal(body: object): string {
  const lines: string[] = [];
  for (const [field, value] of Object.entries(body)) {
    const messages = Array.isArray(value) ? value.map(String) : [String(value)];
    const label = ["error", "non_field_errors", "detail"].includes(field) ? "" : `${field}: `;
    for (const message of messages) lines.push(`${label}${message}`);
  }
  return lines.join("\n");
}

function unexpected(baseUrl: string, path: string, answer: Answer): ServerUnreachable {
  const detail = detailOf(answer.body);
  return new ServerUnreachable(
    `unexpected answer from ${baseUrl}${path}: HTTP ${answer.status}${detail ? ` (${detail})` : ""}`,
    answer.status === 404 ? "check that --url is the base URL of the account API" : undefined,
  );
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const { code, name, message } = error as { code?: string; name?: string; message?: string };
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  if (code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || name === "TimeoutError") {
    return `no answer within ${timeoutMs / 1000}s`;
  }
  return code ?? message ?? String(error);
}

function reachHint(baseUrl: string): string {
  return `check the URL and that the server is running (authctl serve starts one); base URL in use: ${baseUrl}`;
}
