import pty from "@lydell/node-pty";
import { AUTHCTL } from "./cli.js";

export interface Terminal {
  /** Everything drawn so far. */
  screen(): string;
  /** Resolves once `pattern` is drawn after the last `type` (a state, not a delay). */
  waitFor(pattern: RegExp): Promise<void>;
  type(keys: string): void;
  exited: Promise<number>;
}

/** Runs `authctl` in a real pseudo-terminal. */
export function startTerminal(args: string[], env: Record<string, string>): Terminal {
  const term = pty.spawn(process.execPath, [AUTHCTL, ...args], {
    env: { ...process.env, ...env, TERM: "xterm", NO_COLOR: "1" },
    cols: 120,
    rows: 30,
  });
  let screen = "";
  let fresh = "";
  const waiters = new Set<() => void>();
  term.onData((data) => {
    screen += data;
    fresh += data;
    for (const check of waiters) check();
  });
  const exited = new Promise<number>((resolve) =>
    term.onExit(({ exitCode }) => {
      resolve(exitCode);
    }),
  );
  return {
    screen: () => screen,
    exited,
    type(keys) {
      fresh = "";
      term.write(keys);
    },
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(fresh)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
        // A process that ends without drawing the pattern fails the wait at once.
        void exited.then(() => {
          if (!waiters.has(check)) return;
          waiters.delete(check);
          reject(new Error(`${pattern} was never drawn; the screen:\n${screen}`));
        });
      });
    },
  };
}

/** Answers each prompt once it is drawn. */
export async function answer(term: Terminal, answers: [RegExp, string][]): Promise<void> {
  for (const [prompt, text] of answers) {
    await term.waitFor(prompt);
    term.type(`${text}\r`);
  }
}
