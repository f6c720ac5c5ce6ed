import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { OutputStats } from '../output.js';
import { ALNUM, type Rng } from '../rng.js';
import { MINUTE, ctDayPath, ctFileStamp } from '../time.js';
import type { TrailRecord } from './records.js';

const gzip = promisify(gzipCb);

/**
 * Delivers records the way CloudTrail does: per account and region, one gzipped `{"Records":[...]}`
 * file per delivery window (about every 5 minutes), split when a window holds more than a few thousand
 * records, under AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/ with CloudTrail's file names.
 * Compression runs on the libuv pool while the next hour is generated; bytes do not depend on timing.
 */
export class TrailDelivery {
  private readonly pending = new Map<string, TrailRecord[]>();
  private readonly inflight = new Set<Promise<void>>();
  private failure: unknown = null;
  private readonly dirs = new Set<string>();
  events = 0;
  files = 0;

  constructor(
    private readonly out: string,
    private readonly stats: OutputStats,
    private readonly rng: Rng,
    private readonly windowMs: number,
    private readonly maxPerFile = 2500,
  ) {}

  add(r: TrailRecord): void {
    const key = `${r.account}/${r.region}`;
    let list = this.pending.get(key);
    if (!list) this.pending.set(key, (list = []));
    list.push(r);
  }

  addAll(records: readonly TrailRecord[]): void {
    for (const r of records) this.add(r);
  }

  /** Deliver every window that ends at or before `until`. */
  async flush(until: number): Promise<void> {
    for (const key of [...this.pending.keys()].sort()) {
      const list = this.pending.get(key)!;
      const due = list.filter((r) => r.t < until).sort((a, b) => a.t - b.t);
      if (!due.length) continue;
      const keep = list.filter((r) => r.t >= until);
      if (keep.length) this.pending.set(key, keep);
      else this.pending.delete(key);
      let start = 0;
      while (start < due.length) {
        const window = Math.floor(due[start].t / this.windowMs);
        let end = start;
        while (end < due.length && Math.floor(due[end].t / this.windowMs) === window) end++;
        for (let i = start; i < end; i += this.maxPerFile) {
          await this.write(due[0].account, due[0].region, (window + 1) * this.windowMs, due.slice(i, Math.min(end, i + this.maxPerFile)));
        }
        start = end;
      }
    }
  }

  async close(): Promise<void> {
    await this.flush(Number.MAX_SAFE_INTEGER);
    await Promise.all(this.inflight);
    if (this.failure) throw this.failure;
  }

  private async write(account: string, region: string, windowEnd: number, records: TrailRecord[]): Promise<void> {
    // CloudTrail stamps the file a little after the window closes.
    const delivered = windowEnd + this.rng.int(0, 3) * MINUTE;
    const name = `${account}_CloudTrail_${region}_${ctFileStamp(delivered)}_${this.rng.chars(ALNUM, 16)}.json.gz`;
    const dir = join(this.out, 'AWSLogs', account, 'CloudTrail', region, ctDayPath(delivered));
    let body = '{"Records":[';
    for (let i = 0; i < records.length; i++) body += (i ? ',' : '') + JSON.stringify(records[i].record);
    body += ']}';
    this.events += records.length;
    this.files++;
    while (this.inflight.size >= 16) await Promise.race(this.inflight).catch(() => {});
    if (this.failure) throw this.failure;
    const job = (async () => {
      const data = await gzip(Buffer.from(body, 'utf8'), { level: 6 });
      if (!this.dirs.has(dir)) {
        await fs.mkdir(dir, { recursive: true });
        this.dirs.add(dir);
      }
      await fs.writeFile(join(dir, name), data);
      this.stats.add('aws-cloudtrail', data.length);
    })();
    this.inflight.add(job);
    job.then(
      () => this.inflight.delete(job),
      (err) => {
        this.failure ??= err;
        this.inflight.delete(job);
      },
    );
  }
}
