import { RecordError } from '../../lib/errors.js';
import type { Connector, Sample, SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { expandListing } from '../openai-admin/listing.js';
import { obj } from '../openai-admin/records.js';
import { anthropicObjectRecords } from './records.js';

/**
 * Anthropic Admin API listings: organization users, workspaces, workspace members and API keys, as the
 * API pages them (`{"data": [...], "has_more": ...}`), as arrays, or bundled in one file.
 */
export const connector: Connector = {
  name: 'anthropic-admin',
  title: 'Anthropic organization (users, workspaces, API keys)',
  category: 'inventory',
  produces: 'GET https://api.anthropic.com/v1/organizations/users, /workspaces, /workspaces/{id}/members, /api_keys (Admin API key)',
  detect,
  async *parse(file) {
    let index = 0;
    for await (const batch of readJsonRecords(file, ['data'])) {
      const items: SourceItem[] = [];
      for (const r of batch) {
        if (r.error !== undefined) {
          items.push({ index: index++, line: r.line, reject: r.error });
          continue;
        }
        for (const l of expandListing(r.value, (v) => typeof v.type === 'string')) {
          const i = index++;
          try {
            const v = obj(l.value);
            if (!v) throw new RecordError('expected an object');
            items.push({ index: i, line: r.line, records: anthropicObjectRecords(v, `${file.path}#${i}`) });
          } catch (err) {
            items.push({ index: i, line: r.line, reject: err instanceof RecordError ? err.message : `internal error: ${(err as Error).message}` });
          }
        }
      }
      if (items.length) yield items;
    }
  },
};

export function detect(sample: Sample): number {
  const head = sample.head;
  if (/"ANTHROPIC_[A-Z_]+"\s*:/.test(head)) return 0.9;
  if (/"type"\s*:\s*"(workspace|workspace_member)"/.test(head) || /"partial_key_hint"\s*:/.test(head)) return 0.9;
  if (/"type"\s*:\s*"user"/.test(head) && /"added_at"\s*:/.test(head) && /"id"\s*:\s*"user_/.test(head)) return 0.8;
  return 0;
}
