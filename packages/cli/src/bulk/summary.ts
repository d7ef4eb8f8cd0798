import type { PoolResult } from "./pool.js";
import { formatSeconds, rowsDone } from "./progress.js";
import type { TokenSaver } from "./token-saver.js";

export interface SummaryJson {
  url: string;
  report: string;
  created: number;
  exists: number;
  failed: number;
  /** Rows the report already settled, not sent again. */
  doneEarlier: number;
  /** Of those, the ones that had failed (a retry could not change them): they count for the exit code. */
  failedEarlier: number;
  rows: number;
  elapsedSeconds: number;
  accountsPerSecond: number;
  interrupted: boolean;
  tokensSaved?: number;
}

export interface Summary {
  json: SummaryJson;
  /** The same for a person, on stderr. */
  lines: string[];
}

export interface SummaryInput {
  result: PoolResult;
  interrupted: boolean;
  startedAt: number;
  url: string;
  report: string;
  saver: TokenSaver | undefined;
}

/** Accounts per second counts the rows that ended with an account (created or exists). */
export function summarize({ result, interrupted, startedAt, url, report, saver }: SummaryInput): Summary {
  const { created, exists, failed, doneEarlier, failedEarlier } = result.counts;
  const elapsed = Math.max(Date.now() - startedAt, 1) / 1000;
  const rate = (created + exists) / elapsed;
  const json: SummaryJson = {
    url,
    report,
    created,
    exists,
    failed,
    doneEarlier,
    failedEarlier,
    rows: rowsDone(result.counts),
    elapsedSeconds: Math.round(elapsed * 100) / 100,
    accountsPerSecond: Math.round(rate * 10) / 10,
    interrupted,
    ...(saver ? { tokensSaved: saver.saved } : {}),
  };
  const mark = failed + failedEarlier === 0 && !interrupted && result.fatal === undefined ? "✓ " : "";
  const earlier = failedEarlier > 0 ? `done earlier ${doneEarlier} (${failedEarlier} failed)` : `done earlier ${doneEarlier}`;
  const lines = [
    `${mark}created ${created} · exists ${exists} · failed ${failed} · ${earlier} · ${json.rows} rows in ${formatSeconds(elapsed)} · ${json.accountsPerSecond.toFixed(1)} accounts/s`,
    `report: ${report} (0600; holds tokens and generated passwords)`,
  ];
  if (saver) lines.push(`tokens kept: ${saver.saved} in ${saver.where}`);
  if (failed + failedEarlier > 0) lines.push(`failed rows, with their line numbers: grep '"outcome":"failed"' ${report}`);
  if (result.abandoned > 0) lines.push(`${result.abandoned} rows were given up while waiting to retry; the next run sends them again`);
  if (interrupted) lines.push("interrupted: run the same command again to finish the rest (rows already done are not sent again)");
  return { json, lines };
}
