import type { Command, HelpContext } from "commander";
import type { Context } from "./context.js";
import type { AdminCli } from "./server-package.js";

/**
 * `authctl admin …`: like Django's manage.py, on the database itself. The commands are the server
 * package's (the same as `authctl-server admin …`), mounted under `admin` just before it runs, or
 * before `completion` reads the command tree; without the server package, `admin` is a usage error
 * naming what to install.
 */
export function defineAdminCommands(program: Command, context: (command: Command) => Promise<Context>): void {
  const admin = program
    .command("admin")
    .description("administer accounts directly in the server's database, like Django's manage.py")
    .exitOverride();
  let mounted = false;
  // `authctl help admin` asks for the help before any hook runs: until mounted, it falls through to `admin --help`, which mounts first.
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- help(context); only help(callback) is deprecated
  const help: (context?: HelpContext) => never = admin.help.bind(admin);
  Object.assign(admin, { help: (context?: HelpContext) => mounted && help(context) });
  program.hook("preSubcommand", async (_program, command) => {
    const name = command.name();
    if (mounted || (name !== "admin" && name !== "completion")) return;
    const { importAdminCli } = await import("./server-package.js");
    let server: AdminCli;
    try {
      server = await importAdminCli();
    } catch (error) {
      if (name === "admin") throw error;
      return; // completion without the server package: admin completes no subcommands
    }
    mounted = true;
    server.defineAdminCommands(admin, {
      program: "authctl",
      io: async (command) => (await import("./admin-io.js")).adminIo(await context(command)),
    });
  });
}
