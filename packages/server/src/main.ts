#!/usr/bin/env node
import { loadConfig } from "./config.js";
import { streamLogger } from "./logger.js";
import { serveUntilSignal } from "./server.js";

try {
  await serveUntilSignal(loadConfig(process.env), streamLogger(process.stdout, process.stderr));
} catch (error) {
  const { code, message } = error as NodeJS.ErrnoException;
  const hint = code === "EADDRINUSE" ? " (another process is using it; choose one with PORT=...)" : "";
  process.stderr.write(`error: ${message}${hint}\n`);
  process.exitCode = 1;
}
