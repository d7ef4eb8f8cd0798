/** The bench's table: every figure a ratio against a baseline from the same run, with its goal. */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem, type as osType, release } from "node:os";
import { dirname } from "node:path";

export interface Goal {
  /** "min": the ratio must be at least `value`; "max": at most. */
  kind: "min" | "max";
  value: number;
}

export interface Row {
  figure: string;
  value?: number;
  baseline?: number;
  unit?: string;
  ratio?: number;
  goal: Goal;
  met?: boolean;
  /** Why there is no value, or what the figure means. */
  note?: string;
  /** Over rounds: the lowest and highest value, baseline and ratio of one round (the medians are `value`, `baseline`, `ratio`). */
  spread?: { value: Range; baseline: Range; ratio: Range };
}

export type Range = readonly [number, number];

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const range = (values: readonly number[]): Range => [Math.min(...values), Math.max(...values)];

export function row(figure: string, value: number, baseline: number, unit: string, goal: Goal, note?: string): Row {
  const ratio = value / baseline;
  const met = goal.kind === "min" ? ratio >= goal.value : ratio <= goal.value;
  return { figure, value, baseline, unit, ratio, goal, met, ...(note === undefined ? {} : { note }) };
}

/**
 * A figure measured in rounds, both sides once per round: the medians, their
 * ratio (judged against the goal), and the spread of each over the rounds.
 */
export function roundsRow(
  figure: string,
  values: readonly number[],
  baselines: readonly number[],
  unit: string,
  goal: Goal | undefined,
  note?: string,
): Row {
  const measured =
    goal === undefined
      ? record(figure, median(values), median(baselines), unit)
      : row(figure, median(values), median(baselines), unit, goal, note);
  const ratios = values.map((value, i) => value / (baselines[i] ?? Number.NaN));
  return { ...measured, spread: { value: range(values), baseline: range(baselines), ratio: range(ratios) } };
}

export function notMeasured(figure: string, goal: Goal, note: string): Row {
  return { figure, goal, note };
}

/** A figure kept for the record: a ratio with no goal. */
export function record(figure: string, value: number, baseline: number, unit: string): Row {
  return { figure, value, baseline, unit, ratio: value / baseline, goal: { kind: "min", value: 0 }, note: "for the record" };
}

export const atLeast = (value: number): Goal => ({ kind: "min", value });
export const atMost = (value: number): Goal => ({ kind: "max", value });

function digits(value: number): string {
  return value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2);
}

function amount(value: number | undefined, unit: string | undefined, spread?: Range): string {
  if (value === undefined) return "";
  return `${digits(value)}${spread ? ` (${digits(spread[0])}–${digits(spread[1])})` : ""} ${unit ?? ""}`.trim();
}

function goalText(goal: Goal): string {
  return `${goal.kind === "min" ? "≥" : "≤"} ${goal.value}×`;
}

export function machine() {
  const cpu = cpus()[0];
  return {
    cpu: cpu?.model ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
  };
}

export function printTable(rows: readonly Row[]): void {
  const header = ["figure", "value (min–max)", "baseline (min–max)", "ratio (min–max)", "goal", "met"];
  const lines = rows.map((r) => [
    r.figure,
    amount(r.value, r.unit, r.spread?.value),
    amount(r.baseline, r.unit, r.spread?.baseline),
    r.ratio === undefined
      ? "—"
      : `${r.ratio.toFixed(2)}×${r.spread ? ` (${r.spread.ratio[0].toFixed(2)}–${r.spread.ratio[1].toFixed(2)})` : ""}`,
    r.note === "for the record" ? "—" : goalText(r.goal),
    r.note === "for the record" ? "(record)" : r.met === undefined ? (r.note ?? "not measured") : r.met ? "yes" : "NO",
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]?.length ?? 0)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 || i === 5 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  console.log(format(header));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const line of lines) console.log(format(line));
  for (const r of rows.filter((item) => item.note !== undefined && item.note !== "for the record" && item.ratio !== undefined))
    console.log(`  ${r.figure}: ${r.note ?? ""}`);
}

export function writeJson(path: string, rows: readonly Row[], settings: Record<string, unknown>): void {
  mkdirSync(dirname(path), { recursive: true });
  const document = { date: new Date().toISOString(), machine: machine(), settings, rows };
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
}
