import { stripVTControlCharacters } from "node:util";

/**
 * The exit codes of the admin commands, the same numbers as the authctl CLI's `ExitCode`
 * (test/cli/admin.test.ts checks that they agree): 0 done, 1 refused, 2 usage,
 * 3 database unreachable, 5 storage, 130 cancelled at a prompt.
 */
export const ADMIN_EXIT_CODES = {
  ok: 0,
  refused: 1,
  usage: 2,
  unreachable: 3,
  storage: 5,
  cancelled: 130,
} as const;

/**
 * What the admin commands need from whoever runs them: `authctl-server admin` gives its own
 * (./terminal.ts), `authctl admin` its Context (its Output, Prompter and errors) through an adapter.
 */
export interface AdminIo {
  /** The program the person typed, for hints: "authctl" or "authctl-server". */
  program: string;
  env: NodeJS.ProcessEnv;
  out: AdminOutput;
  prompter: AdminPrompter;
  /** A secret piped on stdin (--password-stdin, --new-key-stdin), without its final newline; a usage error at a terminal or when empty. */
  readSecret(piped: { flag: string; what: string; command: string }): Promise<string>;
  /** The errors to throw, each carrying its exit code (ADMIN_EXIT_CODES). */
  errors: AdminErrors;
}

export interface AdminOutput {
  /** Whether --json was given: the result as JSON on stdout, nothing said on stderr but warnings. */
  readonly json: boolean;
  /** The command's result, printed as JSON with --json (and nothing without). */
  result(value: unknown): void;
  /** Raw data on stdout. */
  data(text: string): void;
  /** On stderr, unless --json. */
  success(message: string): void;
  info(message: string): void;
  /** On stderr, always. */
  warn(message: string): void;
}

/** Asks at the terminal; without one, a usage error naming `flag`, the way to give the value instead. Ctrl-C: cancelled (130). */
export interface AdminPrompter {
  text(message: string, flag: string): Promise<string>;
  /** Masked. */
  secret(message: string, flag: string): Promise<string>;
}

type MakeError = (message: string, hint?: string) => Error;

export interface AdminErrors {
  /** Exit 2: a bad flag, value or setting, a missing database. */
  usage: MakeError;
  /** Exit 1: cannot be done as asked (unknown user, a name taken, a key that does not match). */
  refused: MakeError;
  /** Exit 3: the database cannot be reached. */
  unreachable: MakeError;
}

// C0 and C1 controls, DEL, the Unicode controls that reorder or hide text, and the line and paragraph separators.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Stored text (a username, a Django name) made safe for a terminal: escape sequences and control characters removed; newlines and tabs stay. */
export function sanitize(text: string): string {
  return stripVTControlCharacters(text).replace(CONTROLS, "");
}

/** An "Examples:" block for a command's --help. */
export const examples = (...lines: string[]) => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;
