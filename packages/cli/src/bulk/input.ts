import { open, type FileHandle } from "node:fs/promises";
import { extname } from "node:path";
import { Readable } from "node:stream";
import { UsageError } from "../errors.js";
import { csvRows } from "./csv.js";
import { jsonlRows } from "./jsonl.js";
import { withoutDuplicates, type Row } from "./rows.js";

export type Format = "csv" | "jsonl";

export interface Input {
  rows: AsyncIterable<Row>;
  /** Counts the rows of a regular file in a second pass; undefined for stdin. */
  count?: () => Promise<number>;
  /** Stops reading (Ctrl-C): a pending read ends, and stdin no longer keeps the process alive. */
  close(): void;
}

export type Stdin = NodeJS.ReadableStream & { isTTY?: boolean };

/** `--format`, else the file's extension. */
export function formatOf(path: string, flag: string | undefined): Format {
  if (flag !== undefined) {
    if (flag === "csv" || flag === "jsonl") return flag;
    throw new UsageError(`--format must be csv or jsonl, got "${flag}"`);
  }
  const extension = extname(path).toLowerCase();
  if (extension === ".csv") return "csv";
  if (extension === ".jsonl" || extension === ".ndjson") return "jsonl";
  const what = path === "-" ? "stdin" : path;
  throw new UsageError(`cannot tell the format of ${what}`, "pass --format csv or --format jsonl");
}

/** Opens `--from` (a path, or `-` for stdin) and checks what can be checked before any row is sent. */
export async function openInput(path: string, format: Format, stdin: Stdin): Promise<Input> {
  if (path === "-") {
    if (stdin.isTTY)
      throw new UsageError("--from - needs the rows piped in", "authctl register --from - --format csv --report out.jsonl < accounts.csv");
    // process.stdin is always a Readable; anything else is adapted rather than assumed.
    const stream = stdin instanceof Readable ? stdin : new Readable().wrap(stdin);
    return { rows: withoutDuplicates(await parseRows(stream, format, "stdin")), close: () => stream.destroy() };
  }
  const handle = await openFile(path);
  const stream = handle.createReadStream();
  const rows = await parseRows(stream, format, path).catch(async (error: unknown) => {
    await handle.close().catch(() => undefined);
    throw error;
  });
  return { rows: withoutDuplicates(rows), count: () => countRows(path, format), close: () => stream.destroy() };
}

async function openFile(path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (code ?? (error as Error).message);
    throw new UsageError(`cannot read ${path}: ${reason}`);
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new UsageError(`${path} is not a regular file`, "give a file, or - to read stdin");
  }
  return handle;
}

function parseRows(stream: Readable, format: Format, name: string): Promise<AsyncIterable<Row>> {
  return format === "csv" ? csvRows(stream, name) : Promise.resolve(jsonlRows(stream));
}

/** For the progress bar's total and ETA: a cheap second pass over the file, never holding its rows. */
async function countRows(path: string, format: Format): Promise<number> {
  const handle = await open(path, "r");
  const stream = handle.createReadStream();
  try {
    let count = 0;
    const rows = (await parseRows(stream, format, path))[Symbol.asyncIterator]();
    while (!(await rows.next()).done) count++;
    return count;
  } finally {
    stream.destroy();
  }
}
