import type { Connector, SourceItem } from '../contract.js';
import { toItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { mapAuditEvent } from './map.js';

const ACTION = /"action"\s*:\s*"[a-z_]+\.[a-z_.]+"/;
const ACTOR = /"actor"\s*:\s*"/;
const GITHUB_FIELDS = /"_document_id"|"@timestamp"|"actor_location"|"programmatic_access_type"|"org"\s*:|"business"\s*:|"repo"\s*:/;

/**
 * GitHub organization and enterprise audit logs: the REST API (`GET /orgs/{org}/audit-log`, a JSON
 * array), `gh api --paginate` output, and audit-log streaming to S3 / Azure / GCS (one event per line).
 */
export const connector: Connector = {
  name: 'github-audit-log',
  title: 'GitHub audit log',
  category: 'log',
  produces: 'gh api --paginate "/orgs/ORG/audit-log?include=all&per_page=100"; GitHub audit-log streaming (JSON lines)',
  detect(sample) {
    const h = sample.head;
    return ACTION.test(h) && ACTOR.test(h) && GITHUB_FIELDS.test(h) ? 0.85 : 0;
  },
  async *parse(file) {
    for await (const batch of readJsonRecords(file, ['events', 'auditLogEvents'])) {
      yield batch.map((r): SourceItem => {
        if (r.error !== undefined) return { index: r.index, line: r.line, reject: r.error };
        return toItem(r.index, r.line, () => {
          const v = r.value;
          if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected an audit-log event object');
          return mapAuditEvent(v as Record<string, unknown>, `${file.path}#${r.index}`);
        });
      });
    }
  },
};
