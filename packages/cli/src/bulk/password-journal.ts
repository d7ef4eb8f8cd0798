import { unlink, type FileHandle } from "node:fs/promises";
import { StorageFailed } from "../errors.js";
import { openPrivateFile, type ReportEntry, type ReportWriter } from "./report.js";

/** A line of the journal: a password about to be sent, or the row that used it reaching the report. */
type JournalLine = { username: string; password: string } | { username: string; settled: true };

/**
 * Generated passwords, written down (and synced) before the registration
 * that uses them is sent, in `<report>.pending` (0600) beside the report. A
 * run killed after the server made an account but before its report line was
 * written leaves the password here, and the next run logs in with it, so the
 * account is reported as created with its password: killing a run loses
 * nothing. A password is settled once its row reaches a definite outcome in
 * the report; the file is rewritten with the unsettled ones when the run
 * ends, and removed once there are none. The run holds the report's lock,
 * so no other run writes here meanwhile.
 */
export class PasswordJournal {
  /** Usernames whose journaled password this run used or wrote: only their rows settle them. */
  private readonly usedThisRun = new Set<string>();
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** username → password, for passwords that may have made an account no report line tells of. */
    private readonly unsettled: Map<string, string>,
  ) {}

  /** The path the journal of `reportPath` lives at. */
  static pathFor(reportPath: string): string {
    return `${reportPath}.pending`;
  }

  /**
   * Opens the journal beside `report` and replays it. A password already in
   * a report line counts as settled, even when the kill came between that
   * line and its settled mark.
   */
  static async open(report: ReportWriter): Promise<PasswordJournal> {
    const path = PasswordJournal.pathFor(report.path);
    const handle = await openPrivateFile(path, "password journal", `move it aside (it holds passwords), then run again`);
    try {
      const text = await handle.readFile("utf8");
      // A line cut short by a kill must not run into the next one.
      if (text !== "" && !text.endsWith("\n")) await handle.write("\n");
      const unsettled = unsettledIn(text);
      if (unsettled.size > 0) {
        for await (const entry of report.earlierEntries()) {
          if (typeof entry.username === "string" && entry.password !== undefined && unsettled.get(entry.username) === entry.password) unsettled.delete(entry.username);
        }
      }
      return new PasswordJournal(path, handle, unsettled);
    } catch (error) {
      await handle.close();
      throw new StorageFailed(`cannot read ${path}: ${(error as Error).message}`);
    }
  }

  /** A password an earlier run generated for `username` and may have used; the caller uses it again. */
  passwordFor(username: string): string | undefined {
    const password = this.unsettled.get(username);
    if (password !== undefined) this.usedThisRun.add(username);
    return password;
  }

  /** Resolves once the password is on disk, before the request that carries it may be sent. */
  async record(username: string, password: string): Promise<void> {
    this.unsettled.set(username, password);
    this.usedThisRun.add(username);
    await this.append({ username, password }, true);
  }

  /**
   * Called once the row's report line is written. Created, existing or
   * refused by validation (400): no account can be left without its
   * password. Anything else (no answer, a 5xx) stays in doubt. A row that
   * did not use the journaled password (it gave its own) settles nothing.
   */
  async settle(entry: ReportEntry): Promise<void> {
    const { username } = entry;
    if (username === null || !this.usedThisRun.has(username)) return;
    if (entry.outcome === "failed" && entry.status !== 400) return;
    this.usedThisRun.delete(username);
    this.unsettled.delete(username);
    await this.append({ username, settled: true }, false);
  }

  /** Keeps only the unsettled passwords, or removes the file when none is left. */
  async close(): Promise<void> {
    await this.tail;
    await this.handle.close();
    try {
      if (this.unsettled.size === 0) {
        await unlink(this.path);
        return;
      }
      const { default: writeFileAtomic } = await import("write-file-atomic");
      const lines = [...this.unsettled].map(([username, password]) => `${JSON.stringify({ username, password } satisfies JournalLine)}\n`);
      await writeFileAtomic(this.path, lines.join(""), { mode: 0o600 });
    } catch (error) {
      throw new StorageFailed(`cannot update ${this.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  private append(line: JournalLine, sync: boolean): Promise<void> {
    const written = this.tail.then(async () => {
      await this.handle.write(`${JSON.stringify(line)}\n`);
      if (sync) await this.handle.datasync();
    });
    this.tail = written.catch(() => undefined);
    return written.catch((error: unknown) => {
      throw new StorageFailed(`cannot write ${this.path}: ${(error as Error).message}`);
    });
  }
}

/** Replays the journal; a line cut short by a kill, or anything else unreadable, is skipped. */
function unsettledIn(text: string): Map<string, string> {
  const unsettled = new Map<string, string>();
  for (const raw of text.split("\n")) {
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      continue;
    }
    if (typeof line !== "object" || line === null) continue;
    const { username, password, settled } = line as Record<string, unknown>;
    if (typeof username !== "string") continue;
    if (settled === true) unsettled.delete(username);
    else if (typeof password === "string") unsettled.set(username, password);
  }
  return unsettled;
}
