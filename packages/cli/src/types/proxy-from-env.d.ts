declare module "proxy-from-env" {
  /** The proxy URL for `url` from the *_PROXY variables, or "" when it goes direct. */
  export function getProxyForUrl(url: string | URL): string;
}
