import type { Connector, SourceItem } from '../contract.js';
import { toItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { mapAuditEntry } from './map.js';

const DETECT_PAYLOAD = /"proto_?payload"\s*:/i;
const DETECT_AUDIT = /cloudaudit\.googleapis\.com|google\.cloud\.audit\.AuditLog|"methodName"\s*:/;

/**
 * Google Cloud Audit Logs (Admin Activity, Data Access, Policy Denied, System Event), including GKE's
 * Kubernetes audit entries: `gcloud logging read --format=json`, a log sink to Cloud Storage or
 * Pub/Sub (one LogEntry per line), or the Logging API's `{"entries": [...]}`.
 */
export const connector: Connector = {
  name: 'gcp-audit-log',
  title: 'Google Cloud Audit Logs',
  category: 'log',
  produces: 'gcloud logging read \'logName:"cloudaudit.googleapis.com"\' --format=json; a Cloud Logging sink to Cloud Storage or Pub/Sub',
  detect(sample) {
    return DETECT_PAYLOAD.test(sample.head) && DETECT_AUDIT.test(sample.head) ? 0.95 : 0;
  },
  async *parse(file) {
    for await (const batch of readJsonRecords(file, ['entries'])) {
      yield batch.map((r): SourceItem => {
        if (r.error !== undefined) return { index: r.index, line: r.line, reject: r.error };
        return toItem(r.index, r.line, () => {
          const v = r.value;
          if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected a LogEntry object');
          return mapAuditEntry(v as Record<string, unknown>, `${file.path}#${r.index}`);
        });
      });
    }
  },
};
