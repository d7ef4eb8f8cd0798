import { isIP } from "node:net";
import { UsageError } from "./errors.js";

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

/** localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/** Sending a password over plain HTTP is only safe when it stays on this machine. */
export function assertSafeForPassword(baseUrl: string, insecureHttp: boolean): void {
  const url = new URL(baseUrl);
  if (url.protocol === "https:" || insecureHttp || isLoopbackHost(url.hostname)) return;
  throw new UsageError(
    `refusing to send a password over plain HTTP to ${url.host}`,
    "use an https:// URL, or pass --insecure-http if you trust every network in between",
  );
}

/** `--url` > `AUTHCTL_URL` > the last URL used > the default. */
export function resolveBaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv, lastUsed: string | undefined): string {
  return normalizeBaseUrl(flag ?? (env.AUTHCTL_URL || undefined) ?? lastUsed ?? DEFAULT_URL);
}
