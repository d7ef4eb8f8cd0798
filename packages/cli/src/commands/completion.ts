import type { Context } from "../context.js";
import { UsageError } from "../errors.js";

/** A command as completion sees it, read from the command parser so the scripts never drift. */
export interface CommandSpec {
  name: string;
  description: string;
  options: { flags: string[]; description: string; takesValue: boolean }[];
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

function bash(commands: CommandSpec[]): string {
  const cases = commands.map((command) => `    ${command.name}) words=${quote(command.options.flatMap((option) => option.flags).join(" "))} ;;`);
  return `# authctl completion for bash: source <(authctl completion bash)
_authctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W ${quote(commands.map((command) => command.name).join(" "))} -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
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
  const names = commands.map((command) => quote(`${command.name}:${clean(command.description)}`)).join(" ");
  const cases = commands.map((command) => {
    const specs = command.options.flatMap((option) => option.flags.map((flag) => quote(`${flag}[${clean(option.description)}]${option.takesValue ? ":value:" : ""}`)));
    return `    ${command.name}) _arguments ${specs.join(" ")} '*::arg:_files' ;;`;
  });
  return `#compdef authctl
# authctl completion for zsh: source <(authctl completion zsh)
_authctl() {
  local -a commands
  commands=(${names})
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
  for (const command of commands) {
    lines.push(`complete -c authctl -n __fish_use_subcommand -a ${command.name} -d ${quote(command.description)}`);
    for (const option of command.options) {
      const flags = option.flags.map((flag) => (flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`)).join(" ");
      lines.push(`complete -c authctl -n ${quote(`__fish_seen_subcommand_from ${command.name}`)} ${flags}${option.takesValue ? " -r" : ""} -d ${quote(option.description)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
