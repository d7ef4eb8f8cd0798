import { readFileSync } from "node:fs";

/** The package's version, written in by the bundler (packages/cli/build.mjs); absent when run from source. */
declare const AUTHCTL_VERSION: string | undefined;

export const VERSION: string =
  typeof AUTHCTL_VERSION === "string"
    ? AUTHCTL_VERSION
    : (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** `--version`, and its short forms: commander's `-V`, and `-v` as most tools spell it. */
export const isVersionFlag = (arg: string): boolean => arg === "--version" || arg === "-V" || arg === "-v";
