import { RecordError } from '../../lib/errors.js';
import type { Connector, Sample, SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { expandListing } from '../openai-admin/listing.js';
import { pick, pstr } from './principals.js';
import { guardDutyRecords } from './transform.js';

type Obj = Record<string, unknown>;

/**
 * Amazon GuardDuty findings: `aws guardduty get-findings` (`{"Findings": [...]}`), a single finding or a
 * list of them, EventBridge "GuardDuty Finding" events, and the findings GuardDuty exports to S3 (NDJSON).
 */
export const connector: Connector = {
  name: 'aws-guardduty',
  title: 'Amazon GuardDuty findings',
  category: 'alerts',
  produces: 'aws guardduty get-findings --detector-id ID --finding-ids ..., EventBridge "GuardDuty Finding" events, or the S3 findings export',
  detect,
  async *parse(file) {
    let index = 0;
    for await (const batch of readJsonRecords(file, ['Findings', 'findings'])) {
      const items: SourceItem[] = [];
      for (const r of batch) {
        if (r.error !== undefined) {
          items.push({ index: index++, line: r.line, reject: r.error });
          continue;
        }
        for (const l of expandListing(unwrapEventBridge(r.value), isFinding)) {
          const i = index++;
          try {
            const v = l.value as Obj | null;
            if (!v || typeof v !== 'object' || Array.isArray(v) || !isFinding(v)) throw new RecordError('not a GuardDuty finding (expected id, type and severity)');
            items.push({ index: i, line: r.line, records: guardDutyRecords(v, `${file.path}#${i}`) });
          } catch (err) {
            items.push({ index: i, line: r.line, reject: err instanceof RecordError ? err.message : `internal error: ${(err as Error).message}` });
          }
        }
      }
      if (items.length) yield items;
    }
  },
};

export function isFinding(v: Obj): boolean {
  return Boolean(pstr(v, 'id')) && Boolean(pstr(v, 'type')) && (pick(v, 'severity') !== undefined || pick(v, 'resource') !== undefined || pick(v, 'service') !== undefined);
}

function unwrapEventBridge(v: unknown): unknown {
  const o = v as Obj | null;
  if (o && typeof o === 'object' && typeof o['detail-type'] === 'string' && o.detail && typeof o.detail === 'object') return o.detail;
  return v;
}

export function detect(sample: Sample): number {
  const head = sample.head;
  if (/"detail-type"\s*:\s*"GuardDuty Finding"/.test(head)) return 0.95;
  if (/"(?:s|S)chemaVersion"\s*:/.test(head) && /"(?:s|S)ervice"\s*:/.test(head) && /"(?:serviceName|ServiceName)"\s*:\s*"guardduty"/.test(head)) return 0.95;
  if (/"arn"\s*:\s*"arn:aws[a-z-]*:guardduty:|"Arn"\s*:\s*"arn:aws[a-z-]*:guardduty:/.test(head)) return 0.9;
  return 0;
}
