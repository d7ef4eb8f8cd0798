import { close, constants, fstat, mkdir, open, readFile } from "node:fs";
import { dirname } from "node:path";
import { promisify } from "node:util";
import type { ZodType, ZodTypeDef } from "zod";
import { StorageFailed } from "./errors.js";

// fs's own functions, not node:fs/promises: loading that (file watchers and readline come with it) would add a few ms to
// every run that reads its config.
const openFile = promisify(open);
const statFile = promisify(fstat);
const readText = promisify(readFile);
const closeFile = promisify(close);
const makeDirectory = promisify(mkdir);

/** What a file is, for messages: "config file" holds no secrets, "credentials file" does. */
export interface JsonFileKind {
  what: string;
  /** Shown when the file is unreadable; says whether removing it loses anything. */
  fixHint: string;
}

/**
 * Reads and validates a JSON file the CLI owns. A symbolic link, a file
 * others may write, a non-file or a wrong shape is refused with a clear
 * error that names the path and never echoes the contents. The schema is
 * loaded only when the file exists: a run with nothing stored starts faster
 * without the validation library.
 */
export async function readJsonFile<T>(
  path: string,
  loadSchema: () => Promise<ZodType<T, ZodTypeDef, unknown>>,
  kind: JsonFileKind,
): Promise<T | undefined> {
  const text = await readOwnFile(path, kind);
  if (text === undefined) return undefined;
  const schema = await loadSchema();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new StorageFailed(`${path} is not valid JSON`, kind.fixHint);
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues[0]?.path.join(".") ?? "";
  throw new StorageFailed(`${path} is not a valid ${kind.what}${where ? ` (unexpected value at "${where}")` : ""}`, kind.fixHint);
}

async function readOwnFile(path: string, kind: JsonFileKind): Promise<string | undefined> {
  let fd: number;
  try {
    // O_NOFOLLOW: a link planted in the config dir must not redirect reads or writes.
    fd = await openFile(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP" || code === "EMLINK") {
      throw new StorageFailed(
        `${path} is a symbolic link; authctl does not follow links for its ${kind.what}`,
        `replace the link with a regular file owned by you: ${kind.fixHint}`,
      );
    }
    throw new StorageFailed(`cannot read ${path}: ${code ?? (error as Error).message}`);
  }
  try {
    const info = await statFile(fd);
    if (!info.isFile()) throw new StorageFailed(`${path} is not a regular file`, kind.fixHint);
    if ((info.mode & 0o022) !== 0) {
      throw new StorageFailed(
        `${path} is writable by other users, so it cannot be trusted`,
        `check its contents, then run: chmod 600 ${path}`,
      );
    }
    return await readText(fd, "utf8");
  } finally {
    await closeFile(fd);
  }
}

/** Replaces the file atomically (temp file + rename), 0600 in a 0700 directory. */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  try {
    await makeDirectory(dirname(path), { recursive: true, mode: 0o700 });
    // Loaded on first write: commands that only read (status, token) start faster.
    const { default: writeFileAtomic } = await import("write-file-atomic");
    await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  } catch (error) {
    throw new StorageFailed(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export interface LockOptions {
  /** Called once when the lock is taken and the run starts waiting for it. */
  onWait?: () => void;
  /** The lock was found taken over (this process stalled past the stale time); by default that throws out of a timer. */
  onCompromised?: (error: Error) => void;
}

const LOCK_STALE_MS = 10_000;

/** Where the lock of `path` lives: a directory beside it. */
export function lockPathFor(path: string): string {
  return `${path}.lock`;
}
const LOCK_RETRIES = { retries: 200, factor: 1.2, minTimeout: 5, maxTimeout: 100, randomize: true };

/**
 * Runs `change` holding an inter-process lock on `path` (a `.lock` directory
 * beside it), so concurrent authctl runs serialize their read-modify-write.
 * A lock left by a killed run counts as stale after 10 s; waiting gives up
 * after about 20 s.
 */
export async function withFileLock<T>(path: string, change: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  // Loaded on first use: commands that only read (status, token) start faster.
  const { default: lockfile } = await import("proper-lockfile");
  const settings = {
    realpath: false,
    lockfilePath: lockPathFor(path),
    stale: LOCK_STALE_MS,
    // Refreshed often, so a holder learns within a second or two that its lock was taken over.
    update: 1_000,
    ...(options.onCompromised ? { onCompromised: options.onCompromised } : {}),
  };
  let release: () => Promise<void>;
  try {
    await makeDirectory(dirname(path), { recursive: true, mode: 0o700 });
    release = await lockfile.lock(path, { ...settings, retries: options.onWait ? 0 : LOCK_RETRIES }).catch((error: unknown) => {
      if (!options.onWait || (error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
      options.onWait();
      return lockfile.lock(path, { ...settings, retries: LOCK_RETRIES });
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOCKED") {
      throw new StorageFailed(
        `${path} is locked by another authctl run`,
        `wait for it to finish; if none is running, remove ${lockPathFor(path)}`,
      );
    }
    throw new StorageFailed(`cannot lock ${path}: ${code ?? (error as Error).message}`);
  }
  try {
    return await change();
  } finally {
    await release().catch(() => undefined);
  }
}
