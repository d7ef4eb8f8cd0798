import { lstat, readFile, unlink, type FileHandle } from "node:fs/promises";
import { StorageFailed } from "../errors.js";
import { endLine, openPrivateFile, writeAll, type ReportEntry, type ReportWriter } from "./report.js";

/**
 * Generated passwords, written down (and synced) before the registration
 * that uses them is sent, one `{"username","password"}` line each, in
 * `<report>.pending` (0600) beside the report. A run killed after the server
 * made an account but before its report line was written leaves the password
 * here, and the next run logs in with it, so the account is reported as
 * created with its password: killing a run loses nothing.
 *
 * A password is settled once its row reaches a definite outcome in the
 * report, or when a report line from an earlier run already carries it. When
 * the run ends, after the report is synced, the file keeps only the unsettled
 * passwords, or is removed once there are none. The run holds the report's
 * lock; should another run replace the file anyway, this run stops sending
 * new passwords and adds the ones still in doubt to the file now in place.
 */
export class PasswordJournal {
  /** Usernames whose journaled password this run used or wrote: only their rows settle them. */
  private readonly usedThisRun = new Set<string>();
  /** username → password, for passwords known to be in the report: dropped from the file at the end. */
  private readonly settled = new Map<string, string>();
  private tail: Promise<void> = Promise.resolve();
  private leaveAsItIs = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly identity: { dev: number; ino: number },
    /** username → password, for passwords that may have made an account no report line tells of. */
    private readonly unsettled: Map<string, string>,
  ) {}

  /** The path the journal of `reportPath` lives at. */
  static pathFor(reportPath: string): string {
    return `${reportPath}.pending`;
  }

  /** Opens the journal beside `report`, replays it, and settles what the report already holds. */
  static async open(report: ReportWriter): Promise<PasswordJournal> {
    const path = PasswordJournal.pathFor(report.path);
    const handle = await openPrivateFile(path, "password journal", "move it aside (it holds passwords), then run again");
    try {
      const text = await handle.readFile("utf8");
      await endLine(handle);
      const { dev, ino } = await handle.stat();
      const journal = new PasswordJournal(path, handle, { dev, ino }, replay(text));
      if (journal.unsettled.size > 0) {
        for await (const entry of report.earlierEntries()) {
          const { username, password } = entry;
          if (typeof username === "string" && password !== undefined && journal.unsettled.get(username) === password) journal.markSettled(username, password);
        }
      }
      return journal;
    } catch (error) {
      await handle.close();
      throw error instanceof StorageFailed ? error : new StorageFailed(`cannot read ${path}: ${(error as Error).message}`);
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
    await this.assertInPlace();
    this.unsettled.set(username, password);
    this.usedThisRun.add(username);
    const written = this.tail.then(async () => {
      await writeAll(this.handle, `${JSON.stringify({ username, password })}\n`);
      await this.handle.datasync();
    });
    this.tail = written.catch(() => undefined);
    await written.catch((error: unknown) => {
      throw new StorageFailed(`cannot write ${this.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    });
    // Again after the write: a file replaced meanwhile would hold the password where no run looks.
    await this.assertInPlace();
  }

  /**
   * Called once the row's report line is written. Created, existing or
   * refused by validation (400): no account can be left without its
   * password. Anything else (no answer, a 5xx) stays in doubt. A row that
   * did not use the journaled password (it gave its own) settles nothing.
   */
  settle(entry: ReportEntry): void {
    const { username } = entry;
    if (username === null || !this.usedThisRun.has(username)) return;
    if (entry.outcome === "failed" && entry.status !== 400) return;
    const password = this.unsettled.get(username);
    if (password !== undefined) this.markSettled(username, password);
    this.usedThisRun.delete(username);
  }

  /** For a run that lost the report's lock: the end leaves the file for the next run to sort out. */
  leaveForNextRun(): void {
    this.leaveAsItIs = true;
  }

  /**
   * Call after the report is synced. Keeps only the unsettled passwords (and
   * whatever another run added meanwhile), or removes the file when none is
   * left; a file another run put in place gets this run's doubts added.
   */
  async close(): Promise<void> {
    await this.tail;
    await this.handle.close();
    try {
      if (!(await this.stillInPlace())) {
        await this.addToFileInPlace();
        return;
      }
      if (this.leaveAsItIs) return;
      const current = replay(await readFile(this.path, "utf8"));
      for (const [username, password] of this.settled) if (current.get(username) === password) current.delete(username);
      if (current.size === 0) {
        await unlink(this.path);
        return;
      }
      const { default: writeFileAtomic } = await import("write-file-atomic");
      await writeFileAtomic(this.path, linesOf(current), { mode: 0o600 });
    } catch (error) {
      if (error instanceof StorageFailed) throw error;
      throw new StorageFailed(`cannot update ${this.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  private markSettled(username: string, password: string): void {
    this.unsettled.delete(username);
    this.settled.set(username, password);
  }

  private async assertInPlace(): Promise<void> {
    if (await this.stillInPlace()) return;
    throw new StorageFailed(`${this.path} was replaced by another run writing the same report; stopped`, "let the other run finish, then run this one again");
  }

  private async stillInPlace(): Promise<boolean> {
    const now = await lstat(this.path).catch(() => undefined);
    return now !== undefined && now.dev === this.identity.dev && now.ino === this.identity.ino;
  }

  private async addToFileInPlace(): Promise<void> {
    if (this.unsettled.size === 0) return;
    const handle = await openPrivateFile(this.path, "password journal", "move it aside (it holds passwords), then run again");
    try {
      await endLine(handle);
      await writeAll(handle, linesOf(this.unsettled));
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
}

function linesOf(passwords: Map<string, string>): string {
  return [...passwords].map(([username, password]) => `${JSON.stringify({ username, password })}\n`).join("");
}

/** Replays the journal (the last password of a username counts); a line cut short by a kill, or anything unreadable, is skipped. */
function replay(text: string): Map<string, string> {
  const passwords = new Map<string, string>();
  for (const raw of text.split("\n")) {
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      continue;
    }
    if (typeof line !== "object" || line === null) continue;
    const { username, password } = line as Record<string, unknown>;
    if (typeof username === "string" && typeof password === "string") passwords.set(username, password);
  }
  return passwords;
}
