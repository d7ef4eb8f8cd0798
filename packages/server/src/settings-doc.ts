import { SETTINGS, type Setting } from "./config.js";

const all = (): Setting[] => Object.values(SETTINGS);
const defaultOf = (setting: Setting, code = (text: string) => text) => setting.defaultText ?? (setting.default === undefined ? "unset" : code(setting.default));

/** How `authctl-server --help` describes a setting's flag: its meaning, variable and default. */
export function optionHelp(setting: Setting): string {
  return `${setting.description} [${setting.env}; default: ${defaultOf(setting)}]`;
}

/** The settings without a flag (secrets: a flag shows in the process list), for the end of `--help`. */
export function environmentOnlyHelp(): string {
  const rows = all().filter((setting) => setting.flag === undefined);
  const width = Math.max(...rows.map((setting) => setting.env.length));
  return `Settings read from the environment only (secrets stay out of the process list):\n${rows.map((setting) => `  ${setting.env.padEnd(width)}  ${setting.description}`).join("\n")}`;
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The README's settings table (`npm run docs:settings` writes it; a test compares). */
export function settingsTable(): string {
  const rows = all().map((setting) =>
    `| \`${setting.env}\` | ${setting.flag === undefined ? "—" : `\`${setting.flag}\``} | ${cell(defaultOf(setting, (text) => `\`${text}\``))} | ${cell(setting.description)} |`,
  );
  return ["| Variable | Flag | Default | Meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
