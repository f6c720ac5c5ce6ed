import { createReadStream, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip, gunzip } from 'node:zlib';
import { FormatError, CopilotError } from '../../lib/errors.js';

const gunzipAsync = promisify(gunzip);

const SAMPLE_BYTES = 64 * 1024;

/**
 * A file as connectors see it: a name, a decompressed sample for `detect`, and a fresh decompressed
 * stream for `parse`. Gzip is recognised by its magic bytes, not by the name: a `.gz` that is not gzip
 * is an error naming the file.
 */
export interface SourceFile {
  /** The path as the user gave it (or as found while walking a folder). */
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly gzip: boolean;
  /** Up to 64 KiB of decompressed text from the start of the file. */
  readonly head: string;
  /** Decompressed content as a stream of UTF-8 text chunks. */
  chunks(): AsyncIterable<string>;
  /** The whole decompressed content (for inventories, which are documents rather than streams). */
  text(): Promise<string>;
}

export async function openSourceFile(path: string): Promise<SourceFile> {
  let stat;
  try {
    stat = await fs.stat(path);
  } catch (err) {
    throw new CopilotError('E_IO', `${path}: cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { path });
  }
  if (!stat.isFile()) throw new CopilotError('E_IO', `${path}: not a regular file`, { path });
  const fh = await fs.open(path, 'r');
  const magic = Buffer.alloc(2);
  try {
    await fh.read(magic, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const gzip = stat.size >= 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  if (!gzip && /\.gz$/i.test(path)) {
    throw new FormatError(path, 'named .gz but is not gzip data (expected the gzip magic bytes 1f 8b)', { offset: 0 });
  }
  if (stat.size <= WHOLE_READ_BYTES) {
    const whole = await readWhole(path, stat.size);
    if (whole !== null) return { ...textSourceFile(path, whole), size: stat.size, gzip };
  }
  const rawStream = (): Readable => {
    const s = createReadStream(path, { highWaterMark: 256 * 1024 });
    if (!gzip) return s;
    const gunzip = createGunzip();
    s.on('error', (e) => gunzip.destroy(e));
    return s.pipe(gunzip);
  };
  const head = await readHead(path, rawStream());
  return {
    path,
    name: basename(path),
    size: stat.size,
    gzip,
    head,
    chunks: () => textChunks(path, rawStream()),
    text: async () => {
      const parts: string[] = [];
      for await (const c of textChunks(path, rawStream())) parts.push(c);
      return parts.join('');
    },
  };
}

/** A SourceFile over text already in memory (HTTP ingest, tests). */
export function memorySourceFile(path: string, content: string): SourceFile {
  return textSourceFile(path, content);
}

/**
 * Files up to this size (compressed) are read and decompressed in one go: CloudTrail delivers
 * thousands of small gzip files, and two streams per file (one for the sample, one for the parse) cost
 * more than the parse. Decompression runs on libuv's thread pool, beside the parsing.
 */
const WHOLE_READ_BYTES = 1 << 20;
/** A small file that inflates beyond this is read as a stream instead. */
const WHOLE_READ_MAX_TEXT = 64 << 20;

/**
 * The whole decompressed text of a small file, or null where the streaming reader must decide (a
 * truncated or corrupt gzip: its sample is still useful for detection, and its error names the offset).
 */
async function readWhole(path: string, size: number): Promise<string | null> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(path);
  } catch {
    return null;
  }
  if (buf.length !== size) return null; // changed under us: let the streaming path see what it is
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = await gunzipAsync(buf, { maxOutputLength: WHOLE_READ_MAX_TEXT });
    } catch {
      return null;
    }
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(buf);
}

function textSourceFile(path: string, content: string): SourceFile {
  return {
    path,
    name: basename(path),
    size: Buffer.byteLength(content),
    gzip: false,
    head: content.slice(0, SAMPLE_BYTES),
    chunks: async function* () {
      for (let i = 0; i < content.length; i += 256 * 1024) yield content.slice(i, i + 256 * 1024);
    },
    text: async () => content,
  };
}

async function readHead(path: string, stream: Readable): Promise<string> {
  const parts: string[] = [];
  let length = 0;
  try {
    for await (const chunk of textChunks(path, stream, true)) {
      parts.push(chunk);
      length += chunk.length;
      if (length >= SAMPLE_BYTES) break;
    }
  } finally {
    stream.destroy();
  }
  return parts.join('').slice(0, SAMPLE_BYTES);
}

async function* textChunks(path: string, stream: Readable, sampling = false): AsyncIterable<string> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let offset = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      offset += chunk.length;
      const text = decoder.decode(chunk, { stream: true });
      if (text) yield text;
    }
  } catch (err) {
    // A truncated gzip member only shows at its end; while sampling, a short prefix is still useful.
    if (sampling) return;
    const e = err as NodeJS.ErrnoException;
    const what = e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message)
      ? 'gzip data is truncated (unexpected end of compressed stream)'
      : `cannot decompress: ${e.message}`;
    throw new FormatError(path, what, { offset });
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}
