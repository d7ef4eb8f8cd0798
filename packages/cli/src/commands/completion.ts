import type { Context } from "../context.js";
import { UsageError } from "../errors.js";

/** A command as completion sees it, read from the command parser so the scripts never drift. */
/** What a flag's value is: completed from the disk (file, dir) or from the stored accounts (url, username). */
export type ValueKind = "file" | "dir" | "url" | "username";

export interface CommandSpec {
  name: string;
  description: string;
  options: { flags: string[]; description: string; takesValue: boolean; value?: ValueKind }[];
  /** Its own commands (`password change`, `user edit`, `admin list-users`); empty for most. */
  subcommands: CommandSpec[];
}

export const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

/** Prints a completion script for the shell: `source <(authctl completion bash)`. */
export function runCompletion(shell: string, commands: CommandSpec[], ctx: Context): Promise<void> {
  if (!isShell(shell)) throw new UsageError(`unsupported shell "${shell}"; choose one of ${SHELLS.join(", ")}`);
  const scripts: Record<Shell, (specs: CommandSpec[]) => string> = { bash, zsh, fish };
  ctx.out.data(scripts[shell](commands));
  return Promise.resolve();
}

/** `authctl __complete urls|usernames`: what the scripts offer after --url and -u, from the config alone (no keychain, no network). */
export async function runCompleteValues(values: string, ctx: Context): Promise<void> {
  const accounts = await ctx.tokens.list();
  const pick: Record<string, (account: (typeof accounts)[number]) => string> = {
    urls: (account) => account.url,
    usernames: (account) => account.username,
  };
  const of = pick[values];
  if (of === undefined) throw new UsageError(`__complete takes urls or usernames, got "${values}"`);
  ctx.out.data([...new Set(accounts.map(of))].join("\n"));
}

/** A command's positional argument with fixed values. */
const ARGUMENTS: Record<string, readonly string[]> = { completion: SHELLS };

function isShell(value: string): value is Shell {
  return (SHELLS as readonly string[]).includes(value);
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

const flagsOf = (command: CommandSpec) => command.options.flatMap((option) => option.flags);
const groups = (commands: CommandSpec[]) => commands.filter((command) => command.subcommands.length > 0);
/** The flags of a command whose value is of this kind (`undefined`: any other value). */
const valueFlags = (command: CommandSpec, kind: ValueKind | undefined) =>
  command.options.filter((option) => option.takesValue && option.value === kind).flatMap((option) => option.flags);

function bash(commands: CommandSpec[]): string {
  // A group completes its commands' names, then ("password change") that command's flags. After a flag
  // that takes a value, the value: files, directories, stored servers or usernames, else nothing.
  const assign = (key: string, command: CommandSpec, words: string[]) => {
    const kinds = [
      ["files", "file"],
      ["dirs", "dir"],
      ["urls", "url"],
      ["users", "username"],
      ["others", undefined],
    ] as const;
    const lists = kinds.map(([variable, kind]) => `${variable}=${quote(valueFlags(command, kind).join(" "))}`);
    return `    ${quote(key)}) words=${quote(words.join(" "))} ${lists.join(" ")} ;;`;
  };
  const cases = commands.flatMap((command) => [
    assign(command.name, command, [...command.subcommands.map((sub) => sub.name), ...(ARGUMENTS[command.name] ?? flagsOf(command))]),
    ...command.subcommands.map((sub) => assign(`${command.name} ${sub.name}`, sub, flagsOf(sub))),
  ]);
  return `# authctl completion for bash: source <(authctl completion bash)
_authctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" key="\${COMP_WORDS[1]}"
  local words="" files="" dirs="" urls="" users="" others=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W ${quote(commands.map((command) => command.name).join(" "))} -- "$cur"))
    return
  fi
  if [ "$COMP_CWORD" -gt 2 ]; then
    case "$key" in
      ${groups(commands)
        .map((command) => command.name)
        .join("|")}) key="$key \${COMP_WORDS[2]}" ;;
    esac
  fi
  case "$key" in
${cases.join("\n")}
  esac
  case " $files " in *" $prev "*) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;; esac
  case " $dirs " in *" $prev "*) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return ;; esac
  case " $urls " in *" $prev "*) words="$(authctl __complete urls 2>/dev/null)" ;; esac
  case " $users " in *" $prev "*) words="$(authctl __complete usernames 2>/dev/null)" ;; esac
  case " $others " in *" $prev "*) COMPREPLY=(); return ;; esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  # A URL has colons, which bash splits words at: keep only what follows the last one.
  if declare -F __ltrim_colon_completions >/dev/null; then __ltrim_colon_completions "$cur"; fi
}
complete -F _authctl authctl
`;
}

function zsh(commands: CommandSpec[]): string {
  const clean = (text: string) => text.replace(/[[\]:'\\]/g, " ");
  const names = (list: CommandSpec[]) => list.map((command) => quote(`${command.name}:${clean(command.description)}`)).join(" ");
  const args = (command: CommandSpec) => {
    const values: Record<ValueKind, string> = {
      file: ":file:_files",
      dir: ":directory:_files -/",
      url: ":url:($(authctl __complete urls 2>/dev/null))",
      username: ":username:($(authctl __complete usernames 2>/dev/null))",
    };
    const specs = command.options.flatMap((option) =>
      option.flags.map((flag) =>
        quote(`${flag}[${clean(option.description)}]${option.takesValue ? (option.value ? values[option.value] : ":value: ") : ""}`),
      ),
    );
    const choices = ARGUMENTS[command.name];
    return `_arguments ${specs.join(" ")}${choices ? ` ${quote(`1:argument:(${choices.join(" ")})`)}` : ""}`;
  };
  const cases = commands.map((command) => {
    if (command.subcommands.length === 0) return `    ${command.name}) ${args(command)} ;;`;
    const inner = command.subcommands.map((sub) => `          ${sub.name}) ${args(sub)} ;;`);
    return `    ${command.name})
      if (( CURRENT == 3 )); then
        local -a subcommands
        subcommands=(${names(command.subcommands)})
        _describe 'command' subcommands
      else
        case $words[3] in
${inner.join("\n")}
        esac
      fi ;;`;
  });
  return `#compdef authctl
# authctl completion for zsh: source <(authctl completion zsh)
_authctl() {
  local -a commands
  commands=(${names(commands)})
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case $words[2] in
${cases.join("\n")}
  esac
}
if (( $+functions[compdef] )); then compdef _authctl authctl; fi
`;
}

function fish(commands: CommandSpec[]): string {
  const lines = ["# authctl completion for fish: authctl completion fish | source", "complete -c authctl -f"];
  const options = (command: CommandSpec, condition: string) => {
    for (const option of command.options) {
      const flags = option.flags.map((flag) => (flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`)).join(" ");
      const values: Record<ValueKind, string> = {
        file: " -r -F",
        dir: " -x -a '(__fish_complete_directories)'",
        url: " -x -a '(authctl __complete urls 2>/dev/null)'",
        username: " -x -a '(authctl __complete usernames 2>/dev/null)'",
      };
      // -x: takes a value, and offers no file names for it.
      const value = option.takesValue ? (option.value ? values[option.value] : " -x") : "";
      lines.push(`complete -c authctl -n ${quote(condition)} ${flags}${value} -d ${quote(option.description)}`);
    }
  };
  for (const command of commands) {
    const seen = `__fish_seen_subcommand_from ${command.name}`;
    lines.push(`complete -c authctl -n __fish_use_subcommand -a ${command.name} -d ${quote(command.description)}`);
    options(command, seen);
    const choices = ARGUMENTS[command.name];
    if (choices) lines.push(`complete -c authctl -n ${quote(seen)} -a ${quote(choices.join(" "))}`);
    const subcommandNames = command.subcommands.map((sub) => sub.name).join(" ");
    for (const sub of command.subcommands) {
      lines.push(
        `complete -c authctl -n ${quote(`${seen}; and not __fish_seen_subcommand_from ${subcommandNames}`)} -a ${sub.name} -d ${quote(sub.description)}`,
      );
      options(sub, `${seen}; and __fish_seen_subcommand_from ${sub.name}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
