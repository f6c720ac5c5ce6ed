import { RecordError } from '../../lib/errors.js';
import type { Connector, Sample, SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { anthropicActivityRecords } from './transform.js';

/** Anthropic organization activity: the feed's pages (`{"data": [...]}`), arrays, or NDJSON from a SIEM. */
export const connector: Connector = {
  name: 'anthropic-activity',
  title: 'Anthropic organization activity',
  category: 'log',
  produces: 'the Anthropic organization activity / Compliance API feed, or a SIEM export of it (Panther Anthropic.Activity)',
  detect,
  async *parse(file) {
    for await (const batch of readJsonRecords(file, ['data', 'activities'])) {
      yield batch.map((r): SourceItem => {
        if (r.error !== undefined) return { index: r.index, line: r.line, reject: r.error };
        try {
          const v = r.value;
          if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RecordError('not an activity entry (expected a JSON object)');
          return { index: r.index, line: r.line, records: anthropicActivityRecords(v as Record<string, unknown>, `${file.path}#${r.index}`) };
        } catch (err) {
          return { index: r.index, line: r.line, reject: err instanceof RecordError ? err.message : `internal error: ${(err as Error).message}` };
        }
      });
    }
  },
};

export function detect(sample: Sample): number {
  const head = sample.head;
  if (/"type"\s*:\s*"(user_actor|api_actor|admin_api_key_actor|unauthenticated_user_actor|scim_directory_sync_actor|anthropic_actor)"/.test(head)) return 0.9;
  return 0;
}
