import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';

/** Files and bytes written, per kind of output. */
export class OutputStats {
  files = 0;
  bytes = 0;
  readonly byKind: Record<string, { files: number; bytes: number }> = {};

  add(kind: string, bytes: number): void {
    this.files++;
    this.bytes += bytes;
    const k = (this.byKind[kind] ??= { files: 0, bytes: 0 });
    k.files++;
    k.bytes += bytes;
  }
}

/**
 * A text file written piece by piece with backpressure: large inventories never exist as one string.
 * `close()` resolves once the bytes are on disk and counts them.
 */
export class StreamedFile {
  private readonly stream: WriteStream;
  private bytes = 0;
  private failed: Error | null = null;

  private constructor(readonly path: string, private readonly kind: string, private readonly stats: OutputStats) {
    this.stream = createWriteStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
    this.stream.on('error', (e) => (this.failed = e));
  }

  static async open(root: string, rel: string, kind: string, stats: OutputStats): Promise<StreamedFile> {
    const path = join(root, rel);
    await fs.mkdir(dirname(path), { recursive: true });
    return new StreamedFile(path, kind, stats);
  }

  async write(text: string): Promise<void> {
    if (this.failed) throw this.failed;
    this.bytes += Buffer.byteLength(text);
    if (!this.stream.write(text)) await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.stream.once('error', onError);
      this.stream.once('drain', () => {
        this.stream.off('error', onError);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
    if (this.failed) throw this.failed;
    this.stats.add(this.kind, this.bytes);
  }
}

/** One CSV line (RFC 4180 quoting), with the CRLF-free newline the AWS credential report uses. */
export function csvLine(fields: readonly (string | number | boolean)[]): string {
  return fields.map((f) => {
    const s = String(f);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }).join(',') + '\n';
}
