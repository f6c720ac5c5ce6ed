import { parse as parseCsv } from 'csv-parse';
import { Readable } from 'node:stream';
import { FormatError, RecordError } from '../../lib/errors.js';
import type { Connector, Sample, SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import type { SourceFile } from '../shared/source-file.js';
import { fieldOf, type Field } from './fields.js';
import { genericAlertRecords } from './transform.js';

type Obj = Record<string, unknown>;
const BATCH = 2000;

/**
 * Alerts from any SIEM or detector in the generic format (README, "Generic alerts format"): CSV with a
 * header row, or JSON (array, NDJSON, `{"alerts": [...]}`, Splunk `{"result": {...}}` lines, Elastic
 * `_source` hits). Required: time and title; severity defaults to medium when absent.
 */
export const connector: Connector = {
  name: 'generic-alerts',
  title: 'Generic alerts (CSV or JSON from any SIEM)',
  category: 'alerts',
  produces: 'a SIEM or detector export with time, source, severity, title and entities (account, ip, host, application, key)',
  detect,
  async *parse(file) {
    const first = file.head.replace(/^\uFEFF/, '').trimStart()[0];
    if (first === '{' || first === '[') yield* parseJson(file);
    else yield* parseCsvFile(file);
  },
};

async function* parseJson(file: SourceFile): AsyncGenerator<SourceItem[]> {
  for await (const batch of readJsonRecords(file, ['alerts', 'data', 'results', 'hits'])) {
    yield batch.map((r): SourceItem => {
      if (r.error !== undefined) return { index: r.index, line: r.line, reject: r.error };
      return item(r.index, r.line, () => {
        let v = r.value as Obj | null;
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RecordError('not an alert (expected a JSON object)');
        if (v.result && typeof v.result === 'object') v = v.result as Obj;
        else if (v._source && typeof v._source === 'object') v = v._source as Obj;
        return genericAlertRecords(v, `${file.path}#${r.index}`);
      });
    });
  }
}

async function* parseCsvFile(file: SourceFile): AsyncGenerator<SourceItem[]> {
  const parser = Readable.from(file.chunks()).pipe(parseCsv({ info: true, relax_column_count: true, skip_empty_lines: true, bom: true, trim: true }));
  let header: string[] | null = null;
  let items: SourceItem[] = [];
  let index = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!header) {
        header = record;
        const known = new Set(header.map(fieldOf));
        const missing = (['time', 'title'] as Field[]).filter((f) => !known.has(f));
        if (missing.length) throw new FormatError(file.path, `not a generic alerts CSV: the header has no ${missing.join(' or ')} column (expected e.g. time,source,severity,title,account,ip,host,application,key)`, { line: info.lines });
        continue;
      }
      const cols = header;
      const i = index++;
      items.push(item(i, info.lines, () => {
        if (record.length > cols.length) throw new RecordError(`expected ${cols.length} columns, found ${record.length}`);
        const row: Obj = {};
        cols.forEach((c, j) => {
          if (record[j] !== undefined && record[j] !== '') row[c] = record[j];
        });
        return genericAlertRecords(row, `${file.path}#${i}`);
      }));
      if (items.length >= BATCH) {
        yield items;
        items = [];
      }
    }
  } catch (err) {
    if (err instanceof FormatError) throw err;
    const e = err as Error & { lines?: number };
    throw new FormatError(file.path, `not valid CSV: ${e.message}`, e.lines ? { line: e.lines } : {});
  }
  if (!header) throw new FormatError(file.path, 'file is empty (expected a CSV header row)', { line: 1 }, 'E_EMPTY');
  if (items.length) yield items;
}

function item(index: number, line: number, build: () => ReturnType<typeof genericAlertRecords>): SourceItem {
  try {
    return { index, line, records: build() };
  } catch (err) {
    return { index, line, reject: err instanceof RecordError ? err.message : `internal error: ${(err as Error).message}` };
  }
}

export function detect(sample: Sample): number {
  const head = sample.head.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{') || head.startsWith('[')) {
    if (/^\{\s*"alerts"\s*:\s*\[/.test(head)) return 0.7;
    const keys = [...head.slice(0, 4096).matchAll(/"([A-Za-z_@.\- ]+)"\s*:/g)].map((m) => fieldOf(m[1]));
    return keys.includes('time') && keys.includes('title') && keys.includes('severity') ? 0.5 : 0;
  }
  const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
  const cols = firstLine.split(',').map((c) => fieldOf(c.replace(/^"|"$/g, '').trim()));
  return cols.includes('time') && cols.includes('title') && (cols.includes('severity') || cols.includes('account')) ? 0.6 : 0;
}
