import { RecordError } from '../../lib/errors.js';
import type { Connector, Sample, SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { projectFromPath } from './ids.js';
import { expandListing } from './listing.js';
import { obj, openaiObjectRecords, str } from './records.js';

/**
 * OpenAI Administration API listings: organization users, projects, project users, project service
 * accounts, project API keys and admin API keys, as the API pages them (`{"object": "list", "data":
 * [...]}`), as arrays, or several listings bundled in one file. One source item per object.
 */
export const connector: Connector = {
  name: 'openai-admin',
  title: 'OpenAI organization (users, projects, service accounts, API keys)',
  category: 'inventory',
  produces:
    'GET https://api.openai.com/v1/organization/users, /projects, /projects/{id}/users, /projects/{id}/service_accounts, ' +
    '/projects/{id}/api_keys, /admin_api_keys (Admin API key; save the project id in the file name: proj_xxx-users.json)',
  detect,
  async *parse(file) {
    const pathProject = projectFromPath(file.path);
    let index = 0;
    for await (const batch of readJsonRecords(file, ['data'])) {
      const items: SourceItem[] = [];
      for (const r of batch) {
        if (r.error !== undefined) {
          items.push({ index: index++, line: r.line, reject: r.error });
          continue;
        }
        const listed = expandListing(r.value, isOpenaiObject);
        // A bundle with exactly one project says which project its member listings are about.
        const projects = listed.filter((l) => str(obj(l.value)?.object)?.endsWith('organization.project'));
        const project = pathProject ?? (projects.length === 1 ? str(obj(projects[0].value)?.id) : null);
        for (const l of listed) {
          const i = index++;
          const v = obj(l.value);
          try {
            if (!v) throw new RecordError('expected an object');
            items.push({ index: i, line: r.line, records: openaiObjectRecords(v, { project, ref: `${file.path}#${i}` }) });
          } catch (err) {
            items.push({ index: i, line: r.line, reject: err instanceof RecordError ? err.message : `internal error: ${(err as Error).message}` });
          }
        }
      }
      if (items.length) yield items;
    }
  },
};

function isOpenaiObject(v: Record<string, unknown>): boolean {
  return typeof v.object === 'string' && v.object !== 'list';
}

export function detect(sample: Sample): number {
  const head = sample.head;
  if (/"object"\s*:\s*"(?:object: )?organization\.(?:user|project|admin_api_key|invite)/.test(head)) return 0.95;
  if (/"OPENAI_[A-Z_]+"\s*:/.test(head) && /"object"\s*:/.test(head)) return 0.9;
  return 0;
}
