import type { Connector } from '../contract.js';
import { toItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { oktaEventRecords } from './transform.js';

/** Okta System Log: a JSON array or NDJSON of LogEvent objects, as /api/v1/logs and SIEM exports give them. */
export const connector: Connector = {
  name: 'okta-system-log',
  title: 'Okta System Log',
  category: 'log',
  produces: 'GET https://<org>.okta.com/api/v1/logs (JSON array, all pages), or an NDJSON export of System Log events',
  detect(sample) {
    const h = sample.head;
    const hasType = h.includes('"eventType"') || h.includes('"eventtype"');
    if (!hasType) return 0;
    if (h.includes('"alternateId"') && (h.includes('"published"') || h.includes('"legacyEventType"') || h.includes('"legacyeventtype"'))) return 0.95;
    return h.includes('"displayMessage"') || h.includes('"displaymessage"') ? 0.6 : 0;
  },
  async *parse(file) {
    for await (const batch of readJsonRecords(file, ['value', 'events', 'Records'])) {
      yield batch.map((r) =>
        r.error !== undefined
          ? { index: r.index, line: r.line, reject: r.error }
          : toItem(r.index, r.line, () => {
            if (!r.value || typeof r.value !== 'object' || Array.isArray(r.value)) throw new Error('not a System Log event (expected a JSON object)');
            return oktaEventRecords(r.value as Record<string, unknown>, `${file.path}#${r.index}`);
          }),
      );
    }
  },
};
