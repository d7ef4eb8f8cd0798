import { stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { createTransport, type Transport } from "../api-client.js";
import { assertSafeForPassword } from "../base-url.js";
import { openInput, formatOf, type Input } from "../bulk/input.js";
import { watchCtrlC, type Interrupts } from "../bulk/interrupts.js";
import { runPool, type PoolResult } from "../bulk/pool.js";
import { createProgress, type Progress } from "../bulk/progress.js";
import { provisionRow, type PasswordLog } from "../bulk/provision.js";
import { ReportWriter } from "../bulk/report.js";
import { EarlierRuns } from "../bulk/resume.js";
import { DEFAULT_RETRY, Pacer, type RetryPolicy } from "../bulk/retry.js";
import { summarize, type Summary } from "../bulk/summary.js";
import { TokenSaver } from "../bulk/token-saver.js";
import { apiOptions, type Context } from "../context.js";
import { CliError, ExitCode, StorageFailed, UsageError } from "../errors.js";
import { withFileLock } from "../json-file.js";
import { resolveUrl } from "./common.js";

export interface RegisterFromOptions {
  from: string;
  format?: string;
  concurrency?: string;
  report?: string;
  saveTokens?: boolean;
  quiet?: boolean;
  url?: string;
  insecureHttp?: boolean;
  insecureStorage?: boolean;
  username?: string;
  email?: string;
  passwordStdin?: boolean;
}

export interface BulkDeps {
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Ctrl-C, taken over by the run for as long as it sends rows (the first stops taking rows, the second gives up retries). */
  interrupts: Interrupts;
  transport?: Transport;
  retry?: RetryPolicy;
}

export const DEFAULT_CONCURRENCY = 8;

export type { Interrupts };

/**
 * `authctl register --from FILE`: registers every row of a CSV or JSON Lines
 * file that the report does not already settle, writing a pending entry
 * before a generated password is sent and the row's outcome as it finishes.
 * Returns the exit code: 0 when no row failed (in this run or, by the
 * report, earlier), 1 otherwise, 130 after Ctrl-C.
 */
export async function runRegisterFrom(options: RegisterFromOptions, ctx: Context, deps: BulkDeps): Promise<number> {
  const settings = checkOptions(options);
  const url = await resolveUrl(ctx, options.url);
  await assertSafeForPassword(url, options.insecureHttp === true);
  await assertDirectoryExists(settings.reportPath);
  const lock: LockState = {};
  // One run per report at a time: a second one would read the report before the first is done with its rows.
  return withFileLock(settings.reportPath, () => provisionFile({ options, ctx, deps, settings, url, lock }), {
    onWait: () => {
      if (options.quiet !== true)
        ctx.out.info(`waiting for another run writing ${settings.reportPath} (a lock left by a killed run expires within 10s)`);
    },
    onCompromised: (error) => {
      lock.lost = new StorageFailed(
        `lost the lock on ${settings.reportPath} (${error.message}): stopped, so as not to write the report alongside another run`,
        "run the same command again to finish the rest",
      );
    },
  });
}

/** Set when the report's lock was taken over (this process was stopped or stalled too long). */
interface LockState {
  lost?: StorageFailed;
}

async function assertDirectoryExists(reportPath: string): Promise<void> {
  const dir = dirname(resolve(reportPath));
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`the report's directory ${dir} does not exist`, "create it, or give another --report");
}

interface FileRun {
  options: RegisterFromOptions;
  ctx: Context;
  deps: BulkDeps;
  settings: Settings;
  url: string;
  lock: LockState;
}

async function provisionFile({ options, ctx, deps, settings, url, lock }: FileRun): Promise<number> {
  const saver = options.saveTokens ? await TokenSaver.start(ctx, url, options.insecureStorage === true) : undefined;
  const input = await openInput(options.from, settings.format, ctx.stdin);
  let report: ReportWriter;
  let earlier: EarlierRuns;
  try {
    report = await ReportWriter.open(settings.reportPath);
    earlier = await EarlierRuns.read(report.earlierEntries()).catch(async (error: unknown) => {
      await report.close();
      throw new StorageFailed(
        `cannot read the report ${settings.reportPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    });
  } catch (error) {
    input.close();
    throw error;
  }
  const startedAt = Date.now();
  const progress = await createProgress({ stream: deps.stderr, quiet: options.quiet === true, startedAt });
  const result = await provisionAll({ ctx, deps, url, input, report, earlier, lock, saver, progress, concurrency: settings.concurrency });
  const summary = summarize({ result: result.pool, interrupted: result.interrupted, startedAt, url, report: report.path, saver });
  let closing: unknown;
  try {
    await report.sync();
    await report.close();
  } catch (error) {
    closing = error;
  }
  return finish(ctx, summary, result.pool.fatal ?? lock.lost ?? closing);
}

interface Settings {
  format: ReturnType<typeof formatOf>;
  reportPath: string;
  concurrency: number;
}

function checkOptions(options: RegisterFromOptions): Settings {
  for (const [flag, given] of [
    ["--username", options.username],
    ["--email", options.email],
    ["--password-stdin", options.passwordStdin],
  ] as const) {
    if (given !== undefined)
      throw new UsageError(`${flag} cannot be combined with --from`, "put the accounts in the file; see authctl register --help");
  }
  const format = formatOf(options.from, options.format);
  const raw = options.concurrency ?? String(DEFAULT_CONCURRENCY);
  const concurrency = Number(raw);
  if (!/^\d+$/.test(raw) || concurrency < 1 || concurrency > 64)
    throw new UsageError(`--concurrency must be a whole number from 1 to 64, got "${raw}"`);
  if (options.report === undefined && options.from === "-")
    throw new UsageError("--report is required with --from -", "authctl register --from - --format csv --report accounts.report.jsonl");
  const reportPath = options.report ?? `${options.from}.report.jsonl`;
  if (reportPath === "-")
    throw new UsageError("the report cannot go to stdout: it holds tokens and passwords", "give a file with --report");
  if (options.from !== "-" && resolve(options.from) === resolve(reportPath)) throw new UsageError("--report must not be the input file");
  return { format, reportPath, concurrency };
}

interface RunParts {
  ctx: Context;
  deps: BulkDeps;
  url: string;
  input: Input;
  report: ReportWriter;
  earlier: EarlierRuns;
  lock: LockState;
  saver: TokenSaver | undefined;
  progress: Progress;
  concurrency: number;
}

async function provisionAll(parts: RunParts): Promise<{ pool: PoolResult; interrupted: boolean }> {
  const { deps, url, input, report, earlier, saver, progress } = parts;
  const ctrlC = watchCtrlC(deps.interrupts, progress);
  input.count?.().then(
    (total) => {
      progress.setTotal(total);
    },
    () => undefined, // the total only feeds the ETA
  );
  const pacer = new Pacer(ctrlC.abandon, (seconds) => {
    progress.note(`the server asked to wait ${seconds}s; pausing`);
  });
  const transport = deps.transport ?? createTransport(apiOptions(parts.ctx.env));
  const passwords: PasswordLog = { passwordFor: (row) => earlier.passwordFor(row), writePending: (entry) => report.writePending(entry) };
  try {
    const pool = await runPool({
      rows: input.rows,
      concurrency: parts.concurrency,
      provision: async (row) => {
        const settled = earlier.settled(row);
        if (settled !== undefined) return { doneEarlier: settled };
        if (parts.lock.lost) throw parts.lock.lost;
        return provisionRow(row, { transport, url, pacer, report: passwords, retry: deps.retry ?? DEFAULT_RETRY });
      },
      finish: async (entry) => {
        await report.write(entry);
        if (saver && entry.token !== undefined && entry.username !== null) await saver.save(entry.username, entry.token);
      },
      stopSignal: ctrlC.stopTaking,
      closeInput: () => {
        input.close();
      },
      onUpdate: (counts) => {
        progress.update(counts);
      },
    });
    return { pool, interrupted: ctrlC.interrupted() };
  } finally {
    ctrlC.release();
    progress.stop();
    await saver?.end();
  }
}

function finish(ctx: Context, summary: Summary, fatal: unknown): number {
  const error = fatal instanceof CliError ? fatal : undefined;
  if (ctx.out.json) ctx.out.result(error ? { ...summary.json, error: { code: error.code, message: error.message } } : summary.json);
  else for (const line of summary.lines) ctx.out.info(line);
  // Anything else is a bug or an I/O failure: the entry point reports it, after the summary.
  if (fatal !== undefined && !error) throw toError(fatal);
  if (error) {
    if (!ctx.out.json) ctx.out.error(error.message, error.hint ?? "run the same command again to finish the rest");
    return error.exitCode;
  }
  if (summary.json.interrupted) return ExitCode.cancelled;
  return summary.json.failed + summary.json.failedEarlier > 0 ? ExitCode.refused : ExitCode.ok;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
