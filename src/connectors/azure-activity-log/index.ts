import type { Connector } from '../contract.js';
import { toItem } from '../contract.js';
import { RecordError } from '../../lib/errors.js';
import { readJsonRecords } from '../shared/json-records.js';
import { activityRecords } from './transform.js';

/** Azure Activity Log events: the REST API's list or the diagnostic export (JSON array, `{"value"|"records": [...]}` or NDJSON). */
export const connector: Connector = {
  name: 'azure-activity-log',
  title: 'Azure Activity Log',
  category: 'log',
  produces: 'az monitor activity-log list (or GET .../providers/Microsoft.Insights/eventtypes/management/values), or the Activity Log diagnostic export to a storage account or Event Hub (insights-activity-logs)',
  detect(sample) {
    const h = sample.head;
    if (h.includes('"eventDataId"') && h.includes('"operationName"')) return 0.95;
    if (!/"operationName"|"operationname"/.test(h) || !/"resourceId"|"resourceid"/i.test(h)) return 0;
    if (/"category"\s*:\s*"(Administrative|Policy|Security|ServiceHealth|Alert|Recommendation|Autoscale|ResourceHealth|StorageRead|StorageWrite|StorageDelete)"/.test(h)) return 0.88;
    return /\/subscriptions\//i.test(h) && !h.includes('"initiatedBy"') && !/SignInLogs/.test(h) ? 0.6 : 0;
  },
  async *parse(file) {
    for await (const batch of readJsonRecords(file, ['value', 'records', 'Records'])) {
      yield batch.map((r) =>
        r.error !== undefined
          ? { index: r.index, line: r.line, reject: r.error }
          : toItem(r.index, r.line, () => {
            if (!r.value || typeof r.value !== 'object' || Array.isArray(r.value)) throw new RecordError('not an activity log event (expected a JSON object)');
            return activityRecords(r.value as Record<string, unknown>, `${file.path}#${r.index}`);
          }),
      );
    }
  },
};
