/**
 * Every way a command can fail, each with its exit code. The entry point's
 * `reportError` is the only place that turns them into output and a status.
 */
export const ExitCode = {
  ok: 0,
  refused: 1,
  usage: 2,
  unreachable: 3,
  notLoggedIn: 4,
  storage: 5,
  cancelled: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  /** Stable identifier for `--json` output. */
  abstract readonly code: string;

  constructor(
    message: string,
    /** What to do next, printed as `hint:`. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The server answered, and said no (DRF validation errors, bad credentials). */
export class ServerRefused extends CliError {
  readonly exitCode = ExitCode.refused;
  readonly code = "server_refused";

  constructor(
    /** The server's own words, as `--json` reports them. */
    message: string,
    readonly details: unknown,
    hint?: string,
    /** The same said plainly, for a person. */
    readonly human: string = message,
  ) {
    super(message, hint);
  }
}

/** An admin command could not do what was asked (unknown user, a name taken, a key that does not match). */
export class AdminRefused extends CliError {
  readonly exitCode = ExitCode.refused;
  readonly code = "admin_refused";
}

export class UsageError extends CliError {
  readonly exitCode = ExitCode.usage;
  readonly code = "usage";
}

/** The server could not be reached, timed out, or answered something this API never does. */
export class ServerUnreachable extends CliError {
  readonly exitCode = ExitCode.unreachable;
  readonly code = "unreachable";
}

/** `authctl api` got a non-2xx answer; its body goes to stderr. */
export class RequestFailed extends CliError {
  readonly exitCode = ExitCode.refused;
  readonly code = "request_failed";

  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
    hint?: string,
  ) {
    super(message, hint);
  }
}

/** A stored token that the server rejects after the expiry it gave at login: said so, with the way back. */
export class TokenExpired extends CliError {
  readonly exitCode = ExitCode.refused;
  readonly code = "token_expired";
}

/** The server answers, but has no endpoint for what was asked (e.g. a DRF app without dj-rest-auth's password/ and user/). */
export class NotOffered extends CliError {
  readonly exitCode = ExitCode.unreachable;
  readonly code = "not_offered";
}

export class NotLoggedIn extends CliError {
  readonly exitCode = ExitCode.notLoggedIn;
  readonly code = "not_logged_in";
}

export class StorageFailed extends CliError {
  readonly exitCode = ExitCode.storage;
  readonly code = "storage_failed";
}

export class Cancelled extends CliError {
  readonly exitCode = ExitCode.cancelled;
  readonly code = "cancelled";

  constructor() {
    super("cancelled");
  }
}

export const EXIT_CODE_HELP = `Exit codes:
  0    success
  1    the server refused (validation error, bad credentials, a token rejected or expired, non-2xx for authctl api), or status found a token rejected, expired or unchecked
  2    usage error (bad flag or URL, missing value without a terminal, password over plain HTTP, serve or admin without the server package)
  3    server unreachable, timed out, gave an unexpected answer, or does not offer the command's endpoint
  4    not logged in (no stored token for that server or account)
  5    secret storage (keychain or credentials file) failed
  130  cancelled (Ctrl-C at a prompt)
  141  stdout closed by its reader (e.g. piped into head)`;
