import { RecordError } from '../../lib/errors.js';
import type { Connector, Sample, SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { unwrap } from './envelope.js';
import { SeenPrincipals } from './principal.js';
import { transform } from './transform.js';

/**
 * AWS CloudTrail, in every shape it is commonly kept: files as CloudTrail delivers them to S3
 * (`{"Records": [...]}`, gzipped or not), a bare array, single events, NDJSON, EventBridge events,
 * CloudWatch Logs subscription payloads, CloudTrail Lake / Athena result rows, and SIEM exports
 * (`@timestamp`, `_source`, Splunk `result` / `_raw`). See docs/connectors.md.
 */
export const connector: Connector = {
  name: 'aws-cloudtrail',
  title: 'AWS CloudTrail',
  category: 'log',
  produces:
    'CloudTrail log files from the trail bucket (AWSLogs/<account>/CloudTrail/...json.gz), `aws cloudtrail lookup-events`, ' +
    'EventBridge "AWS API Call via CloudTrail" events, CloudTrail Lake `get-query-results`, or a SIEM export (NDJSON)',
  detect,
  async *parse(file) {
    let index = 0;
    for await (const batch of readJsonRecords(file, UNWRAP_KEYS, BATCH)) {
      const items: SourceItem[] = [];
      const seen = new SeenPrincipals();
      for (const jr of batch) {
        if (jr.error !== undefined) {
          items.push({ index: index++, line: jr.line, reject: jr.error });
          continue;
        }
        const records = unwrap(jr.value);
        if (records.length === 0) {
          items.push({ index: index++, line: jr.line, reject: 'not a CloudTrail record (no eventName, userIdentity or Records)' });
          continue;
        }
        for (const r of records) {
          const i = index++;
          items.push(toItem(i, jr.line, () => transform(r, { path: file.path, index: i, seen })));
        }
      }
      yield items;
    }
  },
};

const UNWRAP_KEYS = ['Records', 'QueryResultRows'];
/**
 * Records per batch. Smaller than the reader's default: a batch of parsed records and their outputs
 * then dies young (V8's scavenger) instead of being promoted and collected as old objects; measured
 * about a third less CPU per event than batches of 2,000 (evals/bench-cloudtrail-parse.ts).
 */
const BATCH = 500;

/**
 * Record errors and bad timestamps become rejects with their own message. Anything else is a bug in
 * this connector: the record is still rejected (one odd record must not stop a log), but the reason
 * says so, and the fuzz tests fail on it.
 */
function toItem(index: number, line: number, build: () => ReturnType<typeof transform>): SourceItem {
  try {
    return { index, line, records: build() };
  } catch (err) {
    const reason = err instanceof RecordError ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`;
    return { index, line, reject: reason };
  }
}

const CORE_FIELDS = [/"eventVersion"\s*:/i, /"eventSource"\s*:/i, /"eventName"\s*:/i, /"userIdentity"\s*:/i];
const EVENTBRIDGE = /"detail-type"\s*:\s*"AWS [A-Za-z ]+ via CloudTrail"/;

/** CloudTrail's own field names carry the format: three of the four core fields is CloudTrail. */
export function detect(sample: Sample): number {
  const head = sample.head;
  if (EVENTBRIDGE.test(head)) return 0.95;
  let n = 0;
  for (const re of CORE_FIELDS) if (re.test(head)) n++;
  if (n >= 3) return 0.95;
  if (n === 2 && /"(awsRegion|recipientAccountId|sourceIPAddress)"\s*:/i.test(head)) return 0.7;
  return 0;
}
