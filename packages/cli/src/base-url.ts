import { UsageError } from "./errors.js";
import { describeProxy, isLoopbackHost, proxyFor } from "./proxy.js";

export { isLoopbackHost };

export const DEFAULT_URL = "http://127.0.0.1:8000";

/**
 * One spelling per server, so that tokens are found again: lower-case scheme
 * and host, no default port, no trailing slash, path prefix kept (servers
 * often sit under a sub-path). A bare host gets http:// when it is this
 * machine and https:// otherwise.
 */
export function normalizeBaseUrl(input: string): string {
  const text = input.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${guessScheme(text)}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid URL "${input}"`, "give a base URL such as http://127.0.0.1:8000");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`unsupported URL scheme "${url.protocol}" in "${input}"`, "use http:// or https://");
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError(`the base URL "${input}" must not contain credentials, a query or a fragment`);
  }
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${url.host}${path}`;
}

function guessScheme(text: string): "http" | "https" {
  const host = text.split("/")[0]?.replace(/:\d+$/, "") ?? "";
  return isLoopbackHost(host) ? "http" : "https";
}

/**
 * Sending a password over plain HTTP is only safe when it stays on this
 * machine. Judged by the route it really takes: loopback is always direct,
 * anything through a proxy leaves the machine.
 */
export async function assertSafeForPassword(baseUrl: string, insecureHttp: boolean): Promise<void> {
  const url = new URL(baseUrl);
  if (url.protocol === "https:" || insecureHttp) return;
  const proxy = await proxyFor(baseUrl);
  if (proxy === undefined && isLoopbackHost(url.hostname)) return;
  const via = proxy === undefined ? "" : ` through the proxy ${describeProxy(proxy)}`;
  throw new UsageError(
    `refusing to send a password over plain HTTP to ${url.host}${via}`,
    "use an https:// URL, or pass --insecure-http if you trust every network in between",
  );
}

/** `--url` > `AUTHCTL_URL` > the current server > the default. */
export function resolveBaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv, current: string | undefined): string {
  return normalizeBaseUrl(flag ?? (env.AUTHCTL_URL || undefined) ?? current ?? DEFAULT_URL);
}
