import { SETTINGS, type Setting } from "./config.js";

const all = (): Setting[] => Object.values(SETTINGS);
/** The default as the docs show it: the text a person would write, or what happens when unset. */
const defaultOf = (setting: Setting) => setting.defaultText ?? (setting.default === undefined ? "unset" : `\`${setting.default}\``);
/** Markdown's code quotes, dropped at a terminal. */
const plain = (text: string) => text.replace(/`/g, "");

/** How `authctl-server --help` describes a setting's flag: its meaning, variable and default. */
export function optionHelp(setting: Setting): string {
  return `${plain(setting.description)} [${setting.env}; default: ${plain(defaultOf(setting))}]`;
}

/** The settings without a flag (secrets: a flag shows in the process list), for the end of `--help`. */
export function environmentOnlyHelp(): string {
  const rows = all().filter((setting) => setting.flag === undefined);
  const width = Math.max(...rows.map((setting) => setting.env.length));
  const lines = rows.map(
    (setting) => `  ${setting.env.padEnd(width)}  ${plain(setting.description)} (default: ${plain(defaultOf(setting))})`,
  );
  return `Settings read from the environment only (a flag would show secrets in the process list):\n${lines.join("\n")}`;
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The settings table of docs/configuration.md (`npm run docs:settings` writes it; a test compares). */
export function settingsTable(): string {
  const rows = all().map(
    (setting) =>
      `| \`${setting.env}\` | ${setting.flag === undefined ? "—" : `\`${setting.flag}\``} | ${cell(defaultOf(setting))} | ${cell(setting.description)} |`,
  );
  return ["| variable | flag | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}
