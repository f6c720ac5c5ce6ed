import { FormatError } from '../../lib/errors.js';
import type { SourceFile } from './source-file.js';

/** One record of a JSON log or listing, located in its file. */
export interface JsonRecord {
  /** Zero-based index of the record in the file. */
  index: number;
  /** 1-based line where the record starts. */
  line: number;
  /** The parsed value, or `error` when this record alone is unreadable (NDJSON line). */
  value?: unknown;
  error?: string;
}

export type JsonLayout = 'array' | 'wrapped' | 'ndjson' | 'object' | 'empty';

/**
 * Reads the records of a JSON file in any of the layouts vendors and log pipelines produce, streamed:
 * a top-level array, an object wrapping the array under a known key (`{"Records": [...]}`,
 * `{"value": [...]}`), NDJSON (one value per line), or a single object (one record).
 *
 * A structural fault (truncated file, a stray bracket) makes the whole file unreadable: FormatError with
 * the line and column. In NDJSON a bad line is only that record's problem: it comes back with `error`.
 */
export async function* readJsonRecords(
  file: SourceFile,
  unwrapKeys: readonly string[],
  batchSize = 2000,
): AsyncGenerator<JsonRecord[]> {
  const firstChar = file.head.trimStart()[0];
  if (firstChar === undefined) throw new FormatError(file.path, 'file is empty (expected JSON)', { line: 1 }, 'E_EMPTY');
  if (firstChar !== '{' && firstChar !== '[') {
    throw new FormatError(file.path, `expected JSON (an object or an array), found ${JSON.stringify(file.head.trimStart().slice(0, 12))}`, { line: 1, column: 1 });
  }
  if (looksLikeNdjson(file.head)) {
    yield* readNdjsonLines(file, batchSize);
    return;
  }
  const scanner = new JsonRecordScanner(file.path, unwrapKeys);
  let batch: JsonRecord[] = [];
  for await (const chunk of file.chunks()) {
    for (const el of scanner.push(chunk)) {
      batch.push(parseElement(file.path, el));
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  for (const el of scanner.end()) batch.push(parseElement(file.path, el));
  if (batch.length) yield batch;
}

/** NDJSON when the first non-empty line is a complete JSON value and another value starts on a later line. */
export function looksLikeNdjson(head: string): boolean {
  const lines = head.split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length - 1 && seen < 2; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    if (seen === 0) {
      try {
        JSON.parse(line);
      } catch {
        return false;
      }
      seen = 1;
    } else {
      return line.startsWith('{') || line.startsWith('[');
    }
  }
  return false;
}

async function* readNdjsonLines(file: SourceFile, batchSize: number): AsyncGenerator<JsonRecord[]> {
  let carry = '';
  let lineNo = 0;
  let index = 0;
  let batch: JsonRecord[] = [];
  const take = (raw: string) => {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.trim()) return;
    // Take the index before parsing: a line that fails to parse must not use up two indexes.
    const i = index++;
    try {
      batch.push({ index: i, line: lineNo, value: JSON.parse(line) });
    } catch (err) {
      batch.push({ index: i, line: lineNo, error: `not valid JSON (${jsonErrorText(err)})` });
    }
  };
  for await (const chunk of file.chunks()) {
    let start = 0;
    let nl: number;
    const text = carry ? carry + chunk : chunk;
    carry = '';
    while ((nl = text.indexOf('\n', start)) !== -1) {
      take(text.slice(start, nl));
      start = nl + 1;
    }
    carry = text.slice(start);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (carry) take(carry);
  if (batch.length) yield batch;
}

function jsonErrorText(err: unknown): string {
  return (err as Error).message.replace(/^JSON\.parse: /, '').replace(/^Unexpected/, 'unexpected');
}

interface ScannedElement {
  text: string;
  line: number;
  index: number;
}

function parseElement(path: string, el: ScannedElement): JsonRecord {
  try {
    return { index: el.index, line: el.line, value: JSON.parse(el.text) };
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const pos = m ? Number(m[1]) : 0;
    const before = el.text.slice(0, pos);
    const line = el.line + (before.match(/\n/g)?.length ?? 0);
    const column = pos - before.lastIndexOf('\n');
    throw new FormatError(path, `record ${el.index} is not valid JSON (${jsonErrorText(err)})`, { line, column });
  }
}

/** indexOf, with the end of the chunk for "not found" so that callers can take a minimum. */
function indexOr(text: string, ch: string, from: number, end: number): number {
  const at = text.indexOf(ch, from);
  return at === -1 ? end : at;
}

const OPEN_OBJ = 123; // {
const CLOSE_OBJ = 125; // }
const OPEN_ARR = 91; // [
const CLOSE_ARR = 93; // ]
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const NEWLINE = 10;

/**
 * A push scanner that finds record boundaries without building a parse tree: it tracks strings,
 * nesting and the keys of the top-level object, and hands each record's text to JSON.parse. It runs at
 * several hundred MB/s, so that parsing, not scanning, bounds ingest.
 */
export class JsonRecordScanner {
  layout: JsonLayout = 'empty';
  private readonly stack: number[] = [];
  private inString = false;
  private escape = false;
  private line = 1;
  private column = 0;
  private index = 0;
  /** Depth of the array whose elements are records; -1 when not inside one. */
  private recordDepth = -1;
  /** Capture of the current record: text carried over from earlier chunks plus a start in this chunk. */
  private capturing = false;
  private carry = '';
  private startLine = 0;
  /** For the top-level object: key tracking at depth 1. */
  private expectKey = false;
  private keyStart = -1;
  private keyCarry = '';
  private lastKey: string | null = null;
  private afterColonKey: string | null = null;
  private readonly unwrap: Set<string>;

  constructor(private readonly path: string, unwrapKeys: readonly string[]) {
    this.unwrap = new Set(unwrapKeys);
  }

  push(chunk: string): ScannedElement[] {
    const out: ScannedElement[] = [];
    let captureFrom = this.capturing ? 0 : -1;
    const n = chunk.length;
    // Where the next quote, backslash and newline are in this chunk: string bodies (most of a log's
    // bytes) are skipped with native indexOf instead of character by character.
    let nextQuote = -1;
    let nextBackslash = -1;
    let nextNewline = -1;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) {
        this.line++;
        this.column = i;
      }
      if (this.inString) {
        if (!this.escape && c !== QUOTE && c !== BACKSLASH && c !== NEWLINE) {
          if (nextQuote < i) nextQuote = indexOr(chunk, '"', i, n);
          if (nextBackslash < i) nextBackslash = indexOr(chunk, '\\', i, n);
          if (nextNewline < i) nextNewline = indexOr(chunk, '\n', i, n);
          i = Math.min(nextQuote, nextBackslash, nextNewline) - 1;
          continue;
        }
        if (this.escape) this.escape = false;
        else if (c === BACKSLASH) this.escape = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.keyStart !== -1 || this.keyCarry) {
            this.lastKey = this.keyCarry + chunk.slice(this.keyStart === -1 ? 0 : this.keyStart, i);
            this.keyStart = -1;
            this.keyCarry = '';
          }
        }
        continue;
      }
      if (c === 32 || c === NEWLINE || c === 13 || c === 9) continue;
      const depth = this.stack.length;

      // Start of a record inside the record array.
      if (this.recordDepth !== -1 && depth === this.recordDepth && !this.capturing && c !== COMMA && c !== CLOSE_ARR) {
        this.capturing = true;
        captureFrom = i;
        this.startLine = this.line;
        this.carry = '';
      }
      // End of a record inside the record array.
      if (this.recordDepth !== -1 && depth === this.recordDepth && this.capturing && (c === COMMA || c === CLOSE_ARR)) {
        out.push(this.finish(chunk, captureFrom, i));
        captureFrom = -1;
      }

      if (c === QUOTE) {
        this.inString = true;
        if (depth === 1 && this.stack[0] === OPEN_OBJ && this.expectKey) {
          this.keyStart = i + 1;
          this.keyCarry = '';
        }
      } else if (c === OPEN_OBJ || c === OPEN_ARR) {
        if (depth === 0) {
          this.startTopLevel(c);
          if (c === OPEN_OBJ) {
            // A top-level object is one record unless it turns out to wrap a record array.
            this.capturing = true;
            captureFrom = i;
            this.carry = '';
            this.startLine = this.line;
          }
        } else if (depth === 1 && this.stack[0] === OPEN_OBJ && c === OPEN_ARR && this.afterColonKey !== null && this.unwrap.has(this.afterColonKey)) {
          // `{"Records": [` : drop the capture of the wrapper, records are the array's elements.
          this.layout = 'wrapped';
          this.capturing = false;
          this.carry = '';
          captureFrom = -1;
          this.recordDepth = 2;
        }
        this.stack.push(c);
        if (this.stack.length === 1 && c === OPEN_OBJ) this.expectKey = true;
        this.afterColonKey = null;
      } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        const open = this.stack.pop();
        if (open === undefined || (open === OPEN_OBJ) !== (c === CLOSE_OBJ)) {
          const expected = open === undefined ? 'end of data' : open === OPEN_OBJ ? "'}'" : "']'";
          throw new FormatError(this.path, `unexpected '${String.fromCharCode(c)}' (expected ${expected})`, { line: this.line, column: i - this.column });
        }
        if (this.recordDepth !== -1 && this.stack.length < this.recordDepth) this.recordDepth = -1;
        if (this.stack.length === 0) {
          if (this.capturing) {
            out.push(this.finish(chunk, captureFrom, i + 1));
            captureFrom = -1;
          }
          this.capturing = false;
        }
        this.afterColonKey = null;
      } else if (depth === 1 && this.stack[0] === OPEN_OBJ) {
        if (c === COLON) {
          this.expectKey = false;
          this.afterColonKey = this.lastKey;
        } else if (c === COMMA) {
          this.expectKey = true;
          this.afterColonKey = null;
        } else this.afterColonKey = null;
      } else if (depth === 0) {
        throw new FormatError(this.path, `expected a JSON object or array, found '${String.fromCharCode(c)}'`, { line: this.line, column: i - this.column });
      }
    }
    if (this.capturing && captureFrom !== -1) this.carry += chunk.slice(captureFrom);
    if (this.inString && this.keyStart !== -1) {
      this.keyCarry += chunk.slice(this.keyStart);
      this.keyStart = 0;
    }
    this.column -= n;
    return out;
  }

  end(): ScannedElement[] {
    if (this.inString || this.stack.length > 0) {
      const open = this.stack[this.stack.length - 1];
      const expected = this.inString ? 'a closing quote' : open === OPEN_OBJ ? "'}'" : "']'";
      throw new FormatError(this.path, `unexpected end of file: the JSON is truncated (expected ${expected})`, { line: this.line });
    }
    if (this.layout === 'empty') throw new FormatError(this.path, 'file is empty (expected JSON)', { line: 1 }, 'E_EMPTY');
    return [];
  }

  private startTopLevel(c: number): void {
    if (this.layout === 'empty') this.layout = c === OPEN_ARR ? 'array' : 'object';
    else if (this.layout !== 'wrapped') this.layout = 'ndjson';
    if (c === OPEN_ARR) this.recordDepth = 1;
  }

  private finish(chunk: string, from: number, to: number): ScannedElement {
    const text = (this.carry + chunk.slice(from === -1 ? 0 : from, to)).trim();
    this.carry = '';
    this.capturing = false;
    return { text, line: this.startLine, index: this.index++ };
  }
}
