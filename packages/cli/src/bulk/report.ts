import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { StorageFailed, UsageError } from "../errors.js";

export type Outcome = "created" | "exists" | "failed";

/** One line of the report, one per input row, in the order rows finish. */
export interface ReportEntry {
  line: number;
  username: string | null;
  outcome: Outcome;
  /** The HTTP status of the answer that decided the outcome, or null for a local reason. */
  status: number | null;
  error: string | null;
  token?: string;
  /** Only when generated: the report is the one place it is kept. */
  password?: string;
}

/**
 * Opens `path` for appending, creating it 0600 (an existing file is made
 * 0600 too); a symlink or anything but a regular file is refused. For the
 * files that hold tokens and passwords; `readable` also allows reading what
 * earlier runs wrote, through the same handle.
 */
export async function openPrivateAppend(path: string, what: string, { readable = false } = {}): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    const mode = readable ? constants.O_RDWR : constants.O_WRONLY;
    handle = await open(path, mode | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === "ELOOP") throw new UsageError(`the ${what} ${path} is a symbolic link`, "give the path of a regular file");
    throw new UsageError(`cannot write the ${what} ${path}: ${code ?? (error as Error).message}`);
  }
  try {
    if (!(await handle.stat()).isFile()) throw new UsageError(`the ${what} ${path} is not a regular file`, "give the path of a regular file");
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
 * terminal. A re-run appends: lines written before, and the passwords in
 * them, are never overwritten. Each entry is written before its row counts
 * as done, and writes are serialized, so a crash loses no finished row.
 */
export class ReportWriter {
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<ReportWriter> {
    if (path === "-") throw new UsageError("the report cannot go to stdout: it holds tokens and passwords", "give a file with --report");
    return new ReportWriter(path, await openPrivateAppend(path, "report"));
  }

  /** Resolves once the entry is in the file; the caller waits, which is the backpressure. */
  write(entry: ReportEntry): Promise<void> {
    const text = `${JSON.stringify(entry)}\n`;
    const written = this.tail.then(async () => {
      await this.handle.write(text);
    });
    this.tail = written.catch(() => undefined);
    return written.catch((error: unknown) => {
      throw new StorageFailed(`cannot write the report ${this.path}: ${(error as Error).message}`);
    });
  }

  async close(): Promise<void> {
    await this.tail;
    await this.handle.close();
  }
}
