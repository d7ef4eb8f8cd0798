import { constants } from "node:fs";
import { lstat, open, type FileHandle } from "node:fs/promises";
import { StorageFailed, UsageError } from "../errors.js";

export type Outcome = "created" | "exists" | "failed";

/** A row's outcome: one line of the report, written as the row finishes. */
export interface ReportEntry {
  line: number;
  username: string | null;
  outcome: Outcome;
  /** The HTTP status of the answer that decided the outcome, or null for a local reason. */
  status: number | null;
  error: string | null;
  token?: string;
  /** Only when generated, on every entry of its row: the report is the one place it is kept. */
  password?: string;
  /** On a row the server refused (400): the email it was sent with, so a re-run can tell an edited row. */
  email?: string;
}

/** Written and synced before a generated password is sent: the row's state until its outcome follows. */
export interface PendingEntry {
  line: number;
  username: string;
  outcome: "pending";
  status: null;
  error: null;
  password: string;
}

/**
 * Opens `path` for reading and appending, creating it 0600 (an existing file
 * is made 0600 too). For the files that hold tokens and passwords, which a
 * re-run reads back: a symlink, anything but a regular file, or a file that
 * someone else owns or may write is refused.
 */
export async function openPrivateFile(path: string, what: string, hint: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === "ELOOP") throw new UsageError(`the ${what} ${path} is a symbolic link`, hint);
    throw new UsageError(`cannot write the ${what} ${path}: ${code ?? (error as Error).message}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new UsageError(`the ${what} ${path} is not a regular file`, hint);
    if ((info.mode & 0o022) !== 0 || (process.getuid !== undefined && info.uid !== process.getuid())) {
      throw new StorageFailed(
        `the ${what} ${path} is writable by others or not yours, so it cannot be trusted`,
        `check its contents, then run: chmod 600 ${path}`,
      );
    }
    await handle.chmod(0o600);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/**
 * The report holds tokens and generated passwords, so it is a regular file
 * created 0600 (an existing one is made 0600 too), never a symlink or a
 * terminal. It is only ever appended to: lines written before, and the
 * passwords in them, are never overwritten. A generated password is in a
 * synced `pending` entry before it is sent; each outcome is written before its
 * row counts as done; writes are serialized and whole; so a kill at any point
 * loses no password and no finished row.
 */
export class ReportWriter {
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly identity: { dev: number; ino: number },
  ) {}

  static async open(path: string): Promise<ReportWriter> {
    const handle = await openPrivateFile(path, "report", "give the path of a regular file");
    try {
      await endLine(handle);
      const { dev, ino } = await handle.stat();
      return new ReportWriter(path, handle, { dev, ino });
    } catch (error) {
      await handle.close();
      throw new StorageFailed(`cannot write the report ${path}: ${(error as Error).message}`);
    }
  }

  /** What earlier runs wrote, line by line, parsed; lines that are not JSON objects (a line cut short by a kill) are skipped. */
  async *earlierEntries(): AsyncGenerator<Record<string, unknown>> {
    for await (const line of this.handle.readLines({ start: 0, autoClose: false })) {
      try {
        const entry: unknown = JSON.parse(line);
        if (typeof entry === "object" && entry !== null && !Array.isArray(entry)) yield entry as Record<string, unknown>;
      } catch {
        // a line cut short by a kill
      }
    }
  }

  /** Resolves once the whole entry is in the file; the caller waits, which is the backpressure. */
  write(entry: ReportEntry): Promise<void> {
    return this.append(entry, false);
  }

  /**
   * Resolves once the entry is on disk, and the file is still the one at the
   * report's path (not removed or replaced by another run): only then may
   * the password in it be sent.
   */
  async writePending(entry: PendingEntry): Promise<void> {
    await this.append(entry, true);
    const now = await lstat(this.path).catch(() => undefined);
    if (now?.dev !== this.identity.dev || now.ino !== this.identity.ino) {
      throw new StorageFailed(
        `the report ${this.path} was removed or replaced while this run was writing it; stopped`,
        "let any other run finish, then run this one again with the report that holds the earlier lines",
      );
    }
  }

  private append(entry: ReportEntry | PendingEntry, sync: boolean): Promise<void> {
    const written = this.tail.then(async () => {
      await writeAll(this.handle, `${JSON.stringify(entry)}\n`);
      if (sync) await this.handle.datasync();
    });
    this.tail = written.catch(() => undefined);
    return written.catch((error: unknown) => {
      throw new StorageFailed(`cannot write the report ${this.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    });
  }

  /** Waits for the writes, then for the disk. */
  async sync(): Promise<void> {
    await this.tail;
    try {
      await this.handle.datasync();
    } catch (error) {
      throw new StorageFailed(`cannot write the report ${this.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.tail;
    await this.handle.close();
  }
}

/** Appends all of `text`: a short write (a full disk) continues or fails, it never passes for a whole line. */
export async function writeAll(handle: FileHandle, text: string): Promise<void> {
  const bytes = Buffer.from(text);
  for (let offset = 0; offset < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
    if (bytesWritten === 0) throw Object.assign(new Error("nothing could be written"), { code: "ENOSPC" });
    offset += bytesWritten;
  }
}

/** A file whose last line was cut short by a kill gets its newline, so the next line stands on its own. */
export async function endLine(handle: FileHandle): Promise<void> {
  const { size } = await handle.stat();
  if (size === 0) return;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  if (last[0] !== 0x0a) await writeAll(handle, "\n");
}
