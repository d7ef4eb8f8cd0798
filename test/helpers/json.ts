// Typed views of `--json` output for assertions; a wrong shape makes the assertions fail.

export interface StatusRow {
  url: string;
  username: string | null;
  source: string;
  state: string;
  current: boolean;
}

export interface TokenJson {
  url: string;
  username: string | null;
  token: string;
  source: string;
}

export function jsonObject(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}

export function statusRows(text: string): StatusRow[] {
  return (JSON.parse(text) as { accounts: StatusRow[] }).accounts;
}

export function tokenJson(text: string): TokenJson {
  return JSON.parse(text) as TokenJson;
}
