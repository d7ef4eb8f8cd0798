/** A rate in DRF's syntax, `100/hour`: at most `limit` events per `windowMs`. */
export interface Rate {
  limit: number;
  windowMs: number;
}

const PERIOD_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses DRF's `num/period` where only the period's first letter counts
 * (`s`, `m`, `h`, `d`: `100/hour` = `100/h`); `off` means no limit.
 * Throws a message naming `source` for anything else.
 */
export function parseRate(text: string, source: string): Rate | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "off") return undefined;
  const slash = trimmed.indexOf("/");
  const limit = Number(trimmed.slice(0, slash));
  const seconds = PERIOD_SECONDS[trimmed.charAt(slash + 1)];
  if (slash <= 0 || !Number.isInteger(limit) || limit < 1 || seconds === undefined) {
    throw new Error(`${source} must be a rate like 100/hour (per second, minute, hour or day) or "off", got "${text}"`);
  }
  return { limit, windowMs: seconds * 1000 };
}

/** A count of failures before delays begin (`10`), or `off` for none; throws a message naming `source` for anything else. */
export function parseDelayAfter(text: string, source: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "off") return undefined;
  const count = Number(trimmed);
  if (trimmed === "" || !Number.isInteger(count) || count < 0 || count > 1_000_000) {
    throw new Error(`${source} must be a number of failed logins from 0 to 1000000, or "off", got "${text}"`);
  }
  return count;
}
