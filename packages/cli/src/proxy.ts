/** 127.0.0.0/8 written as node:net's isIP accepts IPv4 (decimal, no leading zeros): node:net itself would add a few ms to every start. */
const LOOPBACK_IPV4 = /^127(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])){3}$/;

/** localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  return LOOPBACK_IPV4.test(host) || host === "::1";
}

/**
 * The proxy a request to `url` goes through, if any. This machine is always
 * reached directly, whatever the proxy variables say (a proxy must never see
 * credentials meant for a local server); other hosts follow HTTP_PROXY,
 * HTTPS_PROXY, ALL_PROXY and NO_PROXY.
 */
export async function proxyFor(url: string): Promise<string | undefined> {
  if (isLoopbackHost(new URL(url).hostname)) return undefined;
  // Loaded here: local servers, the common case, never need it.
  const { getProxyForUrl } = await import("proxy-from-env");
  return getProxyForUrl(url) || undefined;
}

/** The proxy's host for messages: never its credentials. */
export function describeProxy(proxy: string): string {
  try {
    return new URL(proxy).host;
  } catch {
    return "a proxy";
  }
}
