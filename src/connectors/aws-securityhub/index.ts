import { RecordError } from '../../lib/errors.js';
import type { CanonicalRecord } from '../../model/index.js';
import { rec, type Connector, type Sample, type SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { expandListing } from '../openai-admin/listing.js';
import { asffRecords } from './transform.js';

type Obj = Record<string, unknown>;

/**
 * AWS Security Hub findings in the AWS Security Finding Format: `aws securityhub get-findings`
 * (`{"Findings": [...]}`), single findings, EventBridge "Security Hub Findings - Imported" events
 * (`detail.findings`), and `describe-hub` (the hub as a resource).
 */
export const connector: Connector = {
  name: 'aws-securityhub',
  title: 'AWS Security Hub findings (ASFF)',
  category: 'alerts',
  produces: 'aws securityhub get-findings, EventBridge "Security Hub Findings - Imported" events, or a SIEM export of ASFF findings',
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
        for (const l of expandListing(unwrap(r.value), (v) => isFinding(v) || isHub(v))) {
          const i = index++;
          try {
            const v = l.value as Obj | null;
            if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RecordError('expected an ASFF finding object');
            if (isHub(v)) items.push({ index: i, line: r.line, records: hubRecords(v) });
            else if (isFinding(v)) items.push({ index: i, line: r.line, records: asffRecords(v, `${file.path}#${i}`) });
            else throw new RecordError('not an ASFF finding (expected Id, Title and Resources or ProductArn)');
          } catch (err) {
            items.push({ index: i, line: r.line, reject: err instanceof RecordError ? err.message : `internal error: ${(err as Error).message}` });
          }
        }
      }
      if (items.length) yield items;
    }
  },
};

function isFinding(v: Obj): boolean {
  return typeof v.Id === 'string' && ('ProductArn' in v || 'Resources' in v || 'SchemaVersion' in v) && !('detail-type' in v);
}

function isHub(v: Obj): boolean {
  return typeof v.HubArn === 'string';
}

/** `describe-hub`: the hub itself, so that findings can name where they were aggregated. */
function hubRecords(v: Obj): CanonicalRecord[] {
  const arn = v.HubArn as string;
  const account = /^arn:[^:]+:securityhub:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? null;
  return [rec.resource({ id: arn, provider: 'aws', type: 'securityhub:hub', name: arn.split('/').pop() ?? arn, account, attributes: { subscribedAt: v.SubscribedAt ?? null, autoEnableControls: v.AutoEnableControls ?? null } })];
}

function unwrap(v: unknown): unknown {
  const o = v as Obj | null;
  if (o && typeof o === 'object' && typeof o['detail-type'] === 'string') {
    const detail = o.detail as Obj | null;
    return detail && Array.isArray(detail.findings) ? detail.findings : detail;
  }
  return v;
}

export function detect(sample: Sample): number {
  const head = sample.head;
  if (/"detail-type"\s*:\s*"Security Hub Findings/.test(head)) return 0.95;
  if (/"ProductArn"\s*:\s*"arn:aws[a-z-]*:securityhub:/.test(head) && /"(SchemaVersion|Resources|AwsAccountId)"\s*:/.test(head)) return 0.95;
  if (/"HubArn"\s*:\s*"arn:aws[a-z-]*:securityhub:/.test(head)) return 0.9;
  return 0;
}
