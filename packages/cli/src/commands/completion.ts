import type { Context } from "../context.js";
import { UsageError } from "../errors.js";

/** A command as completion sees it, read from the command parser so the scripts never drift. */
export interface CommandSpec {
  name: string;
  description: string;
  options: { flags: string[]; description: string; takesValue: boolean }[];
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

function isShell(value: string): value is Shell {
  return (SHELLS as readonly string[]).includes(value);
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

const flagsOf = (command: CommandSpec) => command.options.flatMap((option) => option.flags);
const groups = (commands: CommandSpec[]) => commands.filter((command) => command.subcommands.length > 0);

function bash(commands: CommandSpec[]): string {
  // A group completes its commands' names, then ("password change") that command's flags.
  const cases = commands.flatMap((command) => [
    `    ${quote(command.name)}) words=${quote([...command.subcommands.map((sub) => sub.name), ...flagsOf(command)].join(" "))} ;;`,
    ...command.subcommands.map((sub) => `    ${quote(`${command.name} ${sub.name}`)}) words=${quote(flagsOf(sub).join(" "))} ;;`),
  ]);
  return `# authctl completion for bash: source <(authctl completion bash)
_authctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words key="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W ${quote(commands.map((command) => command.name).join(" "))} -- "$cur"))
    return
  fi
  if [ "$COMP_CWORD" -gt 2 ]; then
    case "$key" in
      ${groups(commands).map((command) => command.name).join("|")}) key="$key \${COMP_WORDS[2]}" ;;
    esac
  fi
  case "$key" in
${cases.join("\n")}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _authctl authctl
`;
}

function zsh(commands: CommandSpec[]): string {
  const clean = (text: string) => text.replace(/[[\]:'\\]/g, " ");
  const names = (list: CommandSpec[]) => list.map((command) => quote(`${command.name}:${clean(command.description)}`)).join(" ");
  const args = (command: CommandSpec) => {
    const specs = command.options.flatMap((option) => option.flags.map((flag) => quote(`${flag}[${clean(option.description)}]${option.takesValue ? ":value:" : ""}`)));
    return `_arguments ${specs.join(" ")} '*::arg:_files'`;
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
      lines.push(`complete -c authctl -n ${quote(condition)} ${flags}${option.takesValue ? " -r" : ""} -d ${quote(option.description)}`);
    }
  };
  for (const command of commands) {
    const seen = `__fish_seen_subcommand_from ${command.name}`;
    lines.push(`complete -c authctl -n __fish_use_subcommand -a ${command.name} -d ${quote(command.description)}`);
    options(command, seen);
    const subcommandNames = command.subcommands.map((sub) => sub.name).join(" ");
    for (const sub of command.subcommands) {
      lines.push(`complete -c authctl -n ${quote(`${seen}; and not __fish_seen_subcommand_from ${subcommandNames}`)} -a ${sub.name} -d ${quote(sub.description)}`);
      options(sub, `${seen}; and __fish_seen_subcommand_from ${sub.name}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
