#!/usr/bin/env node
import { Command, CommanderError, Option } from "commander";
import { REVOKE_FLAG } from "./auth/secret-key.js";
import { ADMIN_EXIT_CODES } from "./admin/cli/io.js";
import { loadConfig, SETTINGS, SettingsError, type Setting, type SettingFlags } from "./config.js";
import { fastLogger } from "./logger.js";
import { serveUntilSignal } from "./server.js";
import { environmentOnlyHelp, optionHelp } from "./settings-doc.js";

/** The exit codes authctl uses too: 2 for a usage error (a bad flag or setting). */
const USAGE = ADMIN_EXIT_CODES.usage;

const ADMIN_HELP = `Administration (like Django's manage.py), on the database the same settings name:
  authctl-server admin <command> [options]   create-user, set-password, activate, deactivate,
                                             revoke-tokens, send-reset, list-users, rotate-key,
                                             copy, import-django (authctl-server admin --help)`;

const argv = process.argv.slice(2);
// A reader that went away (`authctl-server --help | head`) ends the run quietly, with SIGPIPE's status (128 + 13).
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(141);
    throw error;
  });
}
process.exitCode = argv[0] === "admin" ? await runAdmin(argv.slice(1)) : await serve(argv);

/** `authctl-server [flags]`: the server, as `npm start` runs it; every setting is a variable, most a flag too (the flag wins). */
async function serve(args: string[]): Promise<number> {
  const program = new Command("authctl-server")
    .description("Serve the account API of a Django REST framework app (register, login, logout, password reset, tokens).")
    .exitOverride()
    .allowExcessArguments(false)
    .configureOutput({ outputError: (text) => process.stderr.write(text) })
    .addHelpText("after", `\n${environmentOnlyHelp()}\n\n${ADMIN_HELP}\n`);
  for (const setting of Object.values(SETTINGS) as Setting[]) {
    if (setting.flag !== undefined) program.addOption(new Option(`${setting.flag} <value>`, optionHelp(setting)));
  }
  program.option(REVOKE_FLAG, "start although the key does not open the stored tokens, revoking them all (users log in again)");
  let flags: SettingFlags;
  try {
    flags = program.parse(args, { from: "user" }).opts<SettingFlags>();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : USAGE;
    throw error;
  }
  try {
    await serveUntilSignal(loadConfig(process.env, flags), fastLogger());
    return 0;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const hint = code === "EADDRINUSE" ? " (another process is using it; choose one with AUTHCTL_PORT=... or --port)" : "";
    process.stderr.write(`error: ${message}${hint}\n`);
    return error instanceof SettingsError ? USAGE : 1;
  }
}

/** `authctl-server admin …`: the admin commands (the same that `authctl admin` mounts), loaded only for them. */
async function runAdmin(args: string[]): Promise<number> {
  const { runAdminCommand } = await import("./admin/cli/terminal.js");
  return runAdminCommand(args, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
}
