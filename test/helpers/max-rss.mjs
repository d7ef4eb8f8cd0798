// Preloaded into a child with NODE_OPTIONS=--import=<this file>: on exit, writes
// the process's peak resident set size (kilobytes) to $AUTHCTL_TEST_MAX_RSS_FILE.
import { writeFileSync } from "node:fs";

const path = process.env.AUTHCTL_TEST_MAX_RSS_FILE;
if (path) process.on("exit", () => writeFileSync(path, String(process.resourceUsage().maxRSS)));
