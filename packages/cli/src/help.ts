import { DEFAULT_URL } from "./base-url.js";

export const ENVIRONMENT_HELP = `Environment:
  AUTHCTL_URL               base URL when --url is not given (then the current server, then ${DEFAULT_URL})
  AUTHCTL_TOKEN             a token to use instead of the stored one (status, token, logout, api,
                            password change, user)
  AUTHCTL_CONFIG_DIR        where config.json (and credentials.json, if used) live;
                            default $XDG_CONFIG_HOME/authctl or ~/.config/authctl
  AUTHCTL_HTTP_TIMEOUT      seconds to wait for the server (default 10)
  AUTHCTL_KEYCHAIN_TIMEOUT  seconds to wait for the OS keychain (default 5)
  HTTP_PROXY, HTTPS_PROXY, NO_PROXY   honoured, except that this machine is always reached directly
  NO_COLOR                  turns colors off, as --no-color does
  DEBUG=authctl             prints stack traces of unexpected errors`;

export const CURRENT_SERVER_HELP = `The current server is the one the last login, register or switch used;
commands go there unless --url or AUTHCTL_URL names another. It stays current
when logout removes its last account. With -u NAME and no --url, the account
is looked up on whichever server holds it.`;

/** An "Examples:" block for a command's --help. */
export const examples = (...lines: string[]) => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;

/** The flag of an option as commander names it in `opts()`: `passwordStdin` → `--password-stdin`. */
export const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
