#!/usr/bin/env node
import { loadConfig } from "./config.js";
import { fastLogger } from "./logger.js";
import { serveUntilSignal } from "./server.js";

try {
  await serveUntilSignal(loadConfig(process.env, process.argv.slice(2)), fastLogger());
} catch (error) {
  const { code, message } = error as NodeJS.ErrnoException;
  const hint = code === "EADDRINUSE" ? " (another process is using it; choose one with AUTHCTL_PORT=...)" : "";
  process.stderr.write(`error: ${message}${hint}\n`);
  process.exitCode = 1;
}
