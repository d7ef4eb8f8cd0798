import { Transform, type Readable } from "node:stream";
import { parse, type CsvError, type InfoRecord } from "csv-parse";
import { UsageError } from "../errors.js";
import { checkRow, FIELDS, type Field, type Row } from "./rows.js";

/** A record longer than this is a broken quote, not data: stop instead of buffering the rest of the file. */
const MAX_RECORD_BYTES = 1 << 20;

/**
 * Any mix of line endings ends a record. csv-parse would otherwise take the
 * first line's ending for the whole file: a CRLF header glues LF rows into one
 * record, and an LF header leaves a "\r" on the last field of CRLF rows (a
 * password no one can type). CRLF comes first: csv-parse takes the first that
 * matches, and "\r" alone would split it into a record and a blank line.
 */
const RECORD_DELIMITERS = ["\r\n", "\n", "\r"];
const CR = 0x0d;
const LF = 0x0a;

/**
 * Counts line breaks (CRLF, LF or CR, as RECORD_DELIMITERS) by byte offset as
 * the bytes go by, so a record can be given the physical line it starts on,
 * quoted line breaks included (csv-parse's own `lines` counts CRLF inside
 * quotes twice). Keeps only the offsets the parser has not yet passed.
 */
class LineTracker extends Transform {
  private offset = 0;
  private readonly pending: number[] = [];
  private head = 0;
  private passed = 0;
  /** The last byte seen was CR: an LF right after it, even in the next chunk, ends the same line. */
  private afterCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === CR || (byte === LF && !this.afterCr)) this.pending.push(this.offset + i);
      this.afterCr = byte === CR;
    }
    this.offset += chunk.length;
    done();
    this.push(chunk);
  }

  /** The line that the byte at `offset` is on; offsets must not decrease between calls. */
  lineAt(offset: number): number {
    while (this.head < this.pending.length && (this.pending[this.head] ?? Infinity) < offset) {
      this.head++;
      this.passed++;
    }
    if (this.head > 1024) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
    return this.passed + 1;
  }
}

/**
 * Streams rows from CSV with a header naming `username`, `email` and
 * optionally `password`, in any order. The header is checked before this
 * resolves, so a bad one fails before anything is sent.
 */
export async function csvRows(input: Readable, name: string): Promise<AsyncIterable<Row>> {
  const tracker = new LineTracker();
  let endOfLast = 0;
  let broken: { line: number; message: string } | undefined;
  // Lines of the records the parser has passed on but we have not read yet, in order.
  const lines: number[] = [];
  const parser = parse({
    bom: true,
    record_delimiter: RECORD_DELIMITERS,
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
    // A skipped record means a quote that never closes: nothing after it can be trusted.
    on_skip: (error: CsvError | undefined) => {
      broken ??= { line: tracker.lineAt(endOfLast), message: describeCsvError(error) };
      return undefined;
    },
    on_record: (record: string[], context: InfoRecord) => {
      const line = tracker.lineAt(endOfLast);
      endOfLast = context.bytes;
      if (broken || (record.length === 1 && record[0] === "")) return null;
      lines.push(line);
      return record;
    },
  });
  input.on("error", (error) => parser.destroy(error));
  input.pipe(tracker).pipe(parser);
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  let columns: Field[] | undefined;
  try {
    const first = await records.next();
    lines.shift();
    columns = first.done ? undefined : checkHeader(first.value, name);
  } catch (error) {
    input.destroy();
    throw error;
  }

  async function* rows(): AsyncGenerator<Row> {
    if (!columns) return;
    for (let next = await records.next(); !next.done; next = await records.next()) {
      const fields = next.value;
      const line = lines.shift() ?? 0;
      if (fields.length !== columns.length) {
        yield {
          line,
          ...usernameOf(fields, columns),
          problem: `expected ${columns.length} fields as in the header, found ${fields.length}`,
        };
        continue;
      }
      yield checkRow(line, Object.fromEntries(columns.map((column, i) => [column, fields[i]])));
    }
    if (broken) yield { line: broken.line, problem: `${broken.message}; the rest of the file was not read` };
  }
  return rows();
}

function checkHeader(fields: string[], name: string): Field[] {
  const hint = "the first line must name the columns: username,email[,password]";
  const columns = fields.map((field) => field.trim().toLowerCase());
  for (const column of columns) {
    if (!(FIELDS as readonly string[]).includes(column)) throw new UsageError(`${name} line 1: unknown column "${column}"`, hint);
    if (columns.indexOf(column) !== columns.lastIndexOf(column))
      throw new UsageError(`${name} line 1: column "${column}" appears twice`, hint);
  }
  for (const required of ["username", "email"]) {
    if (!columns.includes(required)) throw new UsageError(`${name} line 1: no "${required}" column`, hint);
  }
  return columns as Field[];
}

function usernameOf(fields: string[], columns: Field[]): { username?: string } {
  const username = fields[columns.indexOf("username")];
  return username ? { username } : {};
}

function describeCsvError(error: CsvError | undefined): string {
  if (error?.code === "CSV_MAX_RECORD_SIZE") return `a record longer than ${MAX_RECORD_BYTES} bytes (a quote that never closes?)`;
  if (error?.code === "CSV_QUOTE_NOT_CLOSED") return "a quoted field starting in this record never closes";
  return `malformed CSV (${error?.code ?? "unknown error"})`;
}
