/** A parsed media type, as DRF's `_MediaType` sees it. */
export interface MediaType {
  main: string;
  sub: string;
  params: Map<string, string>;
}

export function parseMediaType(header: string): MediaType {
  const [fullType = "", ...rawParams] = header.split(";");
  const [main = "", sub = ""] = fullType.trim().toLowerCase().split("/", 2);
  const params = new Map<string, string>();
  for (const raw of rawParams) {
    const eq = raw.indexOf("=");
    if (eq < 0) continue;
    const value = raw
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    params.set(raw.slice(0, eq).trim().toLowerCase(), value);
  }
  return { main, sub, params };
}

/**
 * DRF's `media_type_matches(ours, theirs)`: a wildcard on either side matches,
 * and only parameters named by `ours` have to agree.
 */
export function mediaTypeMatches(own: MediaType, theirs: MediaType): boolean {
  for (const [key, value] of own.params) {
    if (key !== "q" && theirs.params.get(key) !== value) return false;
  }
  const subOk = own.sub === "*" || theirs.sub === "*" || own.sub === theirs.sub;
  const mainOk = own.main === "*" || theirs.main === "*" || own.main === theirs.main;
  return subOk && mainOk;
}
