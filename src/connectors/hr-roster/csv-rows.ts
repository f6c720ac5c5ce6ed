import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { FormatError } from '../../lib/errors.js';
import type { SourceFile } from '../shared/source-file.js';

/**
 * CSV as people export it from HR systems and spreadsheets, streamed: a header row, then one record
 * per row with its line number. A structural fault (an unclosed quote) makes the file unreadable:
 * FormatError with the line. Rows whose field count differs from the header are left to the caller,
 * which rejects just that row.
 */
export interface CsvRow {
  /** Zero-based index of the data row (the header is not counted). */
  index: number;
  /** 1-based line where the row ends. */
  line: number;
  fields: string[];
}

export interface CsvTable {
  header: string[];
  rows: AsyncIterable<CsvRow[]>;
}

/** Header names compared without case, spaces, `_` or `-`: "Employee ID", "employee_id" and "employeeId" are one. */
export function headerKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The first line of a sample, split as a header (for detect: no quoting subtleties needed there). */
export function sampleHeader(head: string): string[] {
  const nl = head.indexOf('\n');
  const first = (nl === -1 ? head : head.slice(0, nl)).replace(/^\uFEFF/, '').replace(/\r$/, '');
  if (!first.includes(',') || first.trimStart().startsWith('{') || first.trimStart().startsWith('[')) return [];
  return first.split(',').map((h) => headerKey(h.replace(/^\s*"|"\s*$/g, '')));
}

export async function readCsv(file: SourceFile, batchSize = 1000): Promise<CsvTable> {
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true });
  const input = Readable.from(file.chunks());
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  const it = (parser as AsyncIterable<{ record: string[]; info: { lines: number } }>)[Symbol.asyncIterator]();
  const first = await next(file, it);
  if (first === null) throw new FormatError(file.path, 'file is empty (expected a CSV header row)', { line: 1 }, 'E_EMPTY');
  const header = first.record;
  async function* rows(): AsyncGenerator<CsvRow[]> {
    let batch: CsvRow[] = [];
    let index = 0;
    for (;;) {
      const r = await next(file, it);
      if (r === null) break;
      batch.push({ index: index++, line: r.info.lines, fields: r.record });
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }
  return { header, rows: rows() };
}

async function next<T>(file: SourceFile, it: AsyncIterator<T>): Promise<T | null> {
  try {
    const r = await it.next();
    return r.done ? null : r.value;
  } catch (err) {
    if (err instanceof FormatError) throw err;
    if (err instanceof CsvError) {
      const line = typeof err.lines === 'number' ? err.lines : undefined;
      throw new FormatError(file.path, `not valid CSV: ${err.message}`, { line });
    }
    throw err;
  }
}
