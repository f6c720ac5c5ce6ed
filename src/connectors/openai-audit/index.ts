import { RecordError } from '../../lib/errors.js';
import type { Connector, Sample, SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { openaiAuditRecords } from './transform.js';

/** OpenAI audit logs: the API's pages (`{"object": "list", "data": [...]}`), arrays, or NDJSON from a SIEM. */
export const connector: Connector = {
  name: 'openai-audit',
  title: 'OpenAI audit logs',
  category: 'log',
  produces: 'GET https://api.openai.com/v1/organization/audit_logs (Admin API key), or a SIEM export (Panther OpenAI.Audit)',
  detect,
  async *parse(file) {
    for await (const batch of readJsonRecords(file, ['data'])) {
      yield batch.map((r): SourceItem => {
        if (r.error !== undefined) return { index: r.index, line: r.line, reject: r.error };
        try {
          const v = r.value;
          if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RecordError('not an audit log entry (expected a JSON object)');
          return { index: r.index, line: r.line, records: openaiAuditRecords(v as Record<string, unknown>, `${file.path}#${r.index}`) };
        } catch (err) {
          return { index: r.index, line: r.line, reject: err instanceof RecordError ? err.message : `internal error: ${(err as Error).message}` };
        }
      });
    }
  },
};

export function detect(sample: Sample): number {
  const head = sample.head;
  if (/"object"\s*:\s*"organization\.audit_log"/.test(head)) return 0.95;
  if (/"effective_at"\s*:/.test(head) && /"actor"\s*:/.test(head) && /"type"\s*:\s*"[a-z_]+\.[a-z_.]+"/.test(head)) return 0.8;
  return 0;
}
