import { readFileSync } from "node:fs";

export const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** `--version`, and its short forms: commander's `-V`, and `-v` as most tools spell it. */
export const isVersionFlag = (arg: string): boolean => arg === "--version" || arg === "-V" || arg === "-v";
