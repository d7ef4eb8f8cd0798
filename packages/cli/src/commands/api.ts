import { readFile } from "node:fs/promises";
import type { Context } from "../context.js";
import { RequestFailed, UsageError } from "../errors.js";
import { sanitize } from "../text.js";
import { readStdin } from "../stdin.js";
import { credentials, expiredToken, TOKEN_ENV, type Credentials } from "./common.js";

export interface ApiCommandOptions {
  url?: string;
  username?: string;
  method?: string;
  field?: string[];
  input?: string;
}

/**
 * An authenticated request to the current server with the current token,
 * like `gh api`: the response body on stdout; a non-2xx answer exits 1 with
 * the body on stderr.
 */
export async function runApi(path: string, options: ApiCommandOptions, ctx: Context): Promise<void> {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path))
    throw new UsageError(`give a path on the server, not a URL: ${path}`, "authctl api /account/me/ (use --url to choose the server)");
  const relative = path.startsWith("/") ? path : `/${path}`;
  const body = await requestBody(options, ctx);
  const method = (options.method ?? (body === undefined ? "GET" : "POST")).toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new UsageError(`invalid method "${method}"`);
  const who = await credentials(ctx, options.url, options.username);
  const { url, token } = who;
  const answer = await ctx.api.request(url, {
    method,
    path: relative,
    token,
    ...(body === undefined ? {} : { body, contentType: "application/json" }),
  });
  if (answer.status < 200 || answer.status > 299) {
    throw new RequestFailed(
      `${method} ${relative} answered HTTP ${answer.status}`,
      answer.status,
      answer.body,
      hintFor(answer.status, relative, who),
    );
  }
  ctx.out.data(ctx.out.stdoutIsTerminal ? sanitize(answer.body) : answer.body);
}

/** What to do about the answers people get at first: Django's slash redirect, a token the server no longer accepts. */
function hintFor(status: number, path: string, { url, account }: Credentials): string | undefined {
  const [pathname = "", query] = path.split(/\?(.*)/s);
  if ((status === 301 || status === 308) && !pathname.endsWith("/")) {
    return `Django redirects to the path with a trailing slash: authctl api ${pathname}/${query === undefined ? "" : `?${query}`}`;
  }
  if (status !== 401) return undefined;
  if (account === undefined) return `the server rejected the token from ${TOKEN_ENV}: set it to a valid token, or unset it`;
  const expired = expiredToken(account);
  if (expired) return `${expired.message}; ${expired.hint ?? ""}`;
  return `the server no longer accepts the token of ${account.username}; log in again: authctl login --url ${url} --username ${account.username}`;
}

/** `-f key=value` fields as a JSON object, or the bytes of `--input FILE` (`-` for stdin). */
async function requestBody(options: ApiCommandOptions, ctx: Context): Promise<string | undefined> {
  const fields = options.field ?? [];
  if (fields.length > 0 && options.input !== undefined) throw new UsageError("give either -f fields or --input, not both");
  if (options.input !== undefined) return options.input === "-" ? readStdin(ctx.stdin) : readInput(options.input);
  if (fields.length === 0) return undefined;
  const object = new Map<string, string>();
  for (const field of fields) {
    const at = field.indexOf("=");
    if (at <= 0) throw new UsageError(`-f takes key=value, got "${field}"`);
    object.set(field.slice(0, at), field.slice(at + 1));
  }
  return JSON.stringify(Object.fromEntries(object));
}

async function readInput(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read --input ${path}: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
}
