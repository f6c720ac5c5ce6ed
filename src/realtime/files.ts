import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import type { SourceFile } from '../connectors/shared/source-file.js';

/** What identifies a file on disk between two looks at it: a rotated or replaced file gets a new inode. */
export interface FileStat {
  size: number;
  mtimeMs: number;
  dev: string;
  ino: string;
}

export async function statFile(path: string): Promise<FileStat | null> {
  try {
    const s = await fs.stat(path, { bigint: true });
    if (!s.isFile()) return null;
    return { size: Number(s.size), mtimeMs: Number(s.mtimeMs), dev: String(s.dev), ino: String(s.ino) };
  } catch {
    return null;
  }
}

export const HEAD_HASH_BYTES = 4096;

/** sha256 (hex) of the first `bytes` bytes: a file truncated and rewritten shows a different head. */
export async function headHash(path: string, bytes: number): Promise<string | null> {
  const n = Math.min(bytes, HEAD_HASH_BYTES);
  const fh = await fs.open(path, 'r').catch(() => null);
  if (!fh) return null;
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    if (bytesRead < n) return null;
    return createHash('sha256').update(buf).digest('hex');
  } finally {
    await fh.close();
  }
}

/** Bytes [start, end) of a file. */
export async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const fh = await fs.open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, end - start));
    let at = 0;
    while (at < buf.length) {
      const { bytesRead } = await fh.read(buf, at, buf.length - at, start + at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return at === buf.length ? buf : buf.subarray(0, at);
  } finally {
    await fh.close();
  }
}

/**
 * The position just after the last newline in [from, to), or `from` when there is none: NDJSON is read
 * up to there, so a line still being written is never read half.
 */
export async function completeLinesEnd(path: string, from: number, to: number): Promise<number> {
  const block = 64 * 1024;
  let end = to;
  while (end > from) {
    const start = Math.max(from, end - block);
    const buf = await readRange(path, start, end);
    const i = buf.lastIndexOf(10);
    if (i !== -1) return start + i + 1;
    end = start;
  }
  return from;
}

const SAMPLE_BYTES = 64 * 1024;

/**
 * Bytes [start, end) of a plain (not gzip) file as a SourceFile. Its path names the start offset
 * (`app.ndjson@1048576`) when that is not 0, so that a record's rawRef (`path#index`) and anything a
 * connector derives from it point at the right record, and stay the same when the range is read again
 * after a crash. The name stays the file's own, for connectors that read meaning into it.
 */
export async function rangeSourceFile(path: string, start: number, end: number): Promise<SourceFile> {
  const headBuf = await readRange(path, start, Math.min(end, start + SAMPLE_BYTES));
  const head = new TextDecoder('utf-8', { fatal: false }).decode(headBuf);
  const chunks = async function* (): AsyncIterable<string> {
    if (end <= start) return;
    const decoder = new TextDecoder('utf-8', { fatal: false });
    const stream = createReadStream(path, { start, end: end - 1, highWaterMark: 256 * 1024 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const text = decoder.decode(chunk, { stream: true });
      if (text) yield text;
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  };
  return {
    path: start === 0 ? path : `${path}@${start}`,
    name: basename(path),
    size: end - start,
    gzip: false,
    head,
    chunks,
    text: async () => {
      const parts: string[] = [];
      for await (const c of chunks()) parts.push(c);
      return parts.join('');
    },
  };
}

/** Names that writers use while a file is not finished (editors, downloads, `aws s3 cp` temporaries). */
const UNFINISHED = /(\.(tmp|temp|part|partial|crdownload|swp|swx|lock)|~)$/i;

/** Whether `watch` follows a file of this name: hidden and unfinished files are left alone. */
export function followable(name: string): boolean {
  return !name.startsWith('.') && !UNFINISHED.test(name);
}

/** NDJSON by name, whatever the first lines show (a log with one line so far is still a log). */
export function ndjsonByName(name: string): boolean {
  return /\.(ndjson|jsonl|jsonlines|log)$/i.test(name);
}
