import { spawnSync } from "node:child_process";

/** Reads the keychain the way a person would, with libsecret's `secret-tool`. */
export function secretToolLookup(url: string, username: string): string {
  const result = spawnSync("secret-tool", ["lookup", "service", `authctl:${url}`, "username", username], { encoding: "utf8" });
  if (result.error) throw result.error;
  return result.stdout;
}
