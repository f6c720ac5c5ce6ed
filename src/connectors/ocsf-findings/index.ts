import { RecordError } from '../../lib/errors.js';
import type { Connector, Sample, SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { ocsfRecords } from './transform.js';

/** OCSF Detection Findings (class_uid 2004) as Security Lake, SIEMs and OCSF-native products export them: arrays or NDJSON. */
export const connector: Connector = {
  name: 'ocsf-findings',
  title: 'OCSF Detection Findings',
  category: 'alerts',
  produces: 'OCSF Detection Finding (class_uid 2004) events: Amazon Security Lake, a SIEM export, or any OCSF producer (JSON array or NDJSON)',
  detect,
  async *parse(file) {
    for await (const batch of readJsonRecords(file, ['findings', 'data', 'events'])) {
      yield batch.map((r): SourceItem => {
        if (r.error !== undefined) return { index: r.index, line: r.line, reject: r.error };
        try {
          const v = r.value;
          if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RecordError('not an OCSF event (expected a JSON object)');
          return { index: r.index, line: r.line, records: ocsfRecords(v as Record<string, unknown>, `${file.path}#${r.index}`) };
        } catch (err) {
          return { index: r.index, line: r.line, reject: err instanceof RecordError ? err.message : `internal error: ${(err as Error).message}` };
        }
      });
    }
  },
};

export function detect(sample: Sample): number {
  const head = sample.head;
  if (/"class_uid"\s*:\s*"?200[14]\b/.test(head) && /"(finding_info|finding)"\s*:/.test(head)) return 0.95;
  if (/"class_uid"\s*:\s*"?200[14]\b/.test(head)) return 0.8;
  return 0;
}
