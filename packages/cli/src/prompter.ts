import { Cancelled, UsageError } from "./errors.js";

/** Asks the person at the terminal; `flag` names what to pass instead when there is none. */
export interface Prompter {
  text(message: string, flag: string, options?: TextOptions): Promise<string>;
  secret(message: string, flag: string): Promise<string>;
  /** Resolves the `value` of the chosen entry. */
  choose(message: string, choices: Choice[], flag: string): Promise<string>;
}

export interface TextOptions {
  /** Taken when Enter is pressed on an empty line (shown in the prompt). */
  default?: string;
  /** A problem with the typed value, shown under the prompt, which asks again; undefined when fine. */
  check?: (value: string) => Promise<string | undefined>;
}

export interface Choice {
  name: string;
  value: string;
}

interface PromptStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

/**
 * Prompts with @inquirer's input, password and select on stderr (stdout stays clean for data).
 * Without a terminal it never waits: a missing value is a usage error naming
 * the flag that provides it. Ctrl-C cancels with exit code 130.
 */
export function terminalPrompter(streams: PromptStreams): Prompter {
  // streams.input is read at the first prompt, not before (see main.ts).
  const context = () => ({ input: streams.input, output: streams.output, clearPromptOnDone: false });
  const ensureTerminal = (flag: string) => {
    if (!streams.input.isTTY) throw new UsageError(`${flag} is required when not running in a terminal`);
  };
  return {
    async text(message, flag, options = {}) {
      ensureTerminal(flag);
      const { default: input } = await import("@inquirer/input");
      const validate = async (value: string) => (value.trim() === "" ? "required" : ((await options.check?.(value)) ?? true));
      return cancellable(() => input({ message, default: options.default, required: true, validate }, context()));
    },
    async secret(message, flag) {
      ensureTerminal(flag);
      const { default: password } = await import("@inquirer/password");
      return cancellable(() => password({ message, mask: "*", validate: (value) => value !== "" || "required" }, context()));
    },
    async choose(message, choices, flag) {
      ensureTerminal(flag);
      const { default: select } = await import("@inquirer/select");
      return cancellable(() => select({ message, choices }, context()));
    },
  };
}

async function cancellable<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if ((error as Error).name === "ExitPromptError" || (error as Error).name === "AbortPromptError") throw new Cancelled();
    throw error;
  }
}
