import type { Connector, SourceItem } from '../contract.js';
import { toItem } from '../contract.js';
import { readJsonRecords, type JsonRecord } from '../shared/json-records.js';
import { classifyOkta, grantEdgeKey, oktaObjectRecords, type GrantScopes } from './transform.js';

/**
 * Okta management API list responses: users, apps, API tokens, app grants, groups, app assignments,
 * admin role assignments and API service integrations, one list per file (any mix works: each object
 * is recognised by its fields).
 */
export const connector: Connector = {
  name: 'okta-inventory',
  title: 'Okta users, apps, API tokens and grants',
  category: 'inventory',
  produces: 'GET /api/v1/users, /api/v1/apps, /api/v1/api-tokens, /api/v1/apps/{id}/grants, /api/v1/groups, /api/v1/apps/{id}/users, /api/v1/users/{id}/roles, /integrations/api/v1/api-services (JSON, all pages)',
  detect(sample) {
    const h = sample.head;
    if (h.includes('"eventType"') || h.includes('"@odata.')) return 0;
    const okta = /"href"\s*:\s*"https?:\/\/[^"]*\/api\/v1\//.test(h) || /\.okta(?:preview)?\.com/.test(h);
    const shape = h.includes('"signOnMode"') || h.includes('"tokenWindow"') || h.includes('"scopeId"') || h.includes('"assignmentType"')
      || (h.includes('"profile"') && h.includes('"login"') && h.includes('"credentials"')) || h.includes('"grantedScopes"') || h.includes('"syncState"');
    return shape ? (okta ? 0.9 : 0.7) : 0;
  },
  async *parse(file, options) {
    // Inventories are documents, not streams: gather them so that grants of one app merge into one edge.
    const records: JsonRecord[] = [];
    for await (const batch of readJsonRecords(file, ['value', 'data', 'items'])) records.push(...batch);
    const grants: GrantScopes = new Map();
    for (const r of records) {
      const v = r.value as Record<string, unknown> | undefined;
      if (!v || typeof v !== 'object' || classifyOkta(v) !== 'grant') continue;
      const key = grantEdgeKey(v);
      if (!key) continue;
      const k = `${key.from}|${key.to}`;
      const agg = grants.get(k) ?? { scopes: new Set<string>(), revoked: new Set<string>(), grants: [] };
      const scope = String(v.scopeId);
      if (String(v.status ?? 'ACTIVE').toUpperCase() === 'ACTIVE') agg.scopes.add(scope);
      else agg.revoked.add(scope);
      if (typeof v.id === 'string') agg.grants.push(v.id);
      grants.set(k, agg);
    }
    const items: SourceItem[] = records.map((r) =>
      r.error !== undefined
        ? { index: r.index, line: r.line, reject: r.error }
        : toItem(r.index, r.line, () => {
          const v = r.value;
          if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an Okta object (expected a JSON object)');
          const kind = classifyOkta(v as Record<string, unknown>);
          if (!kind) throw new Error('not a recognised Okta object (expected a user, app, API token, grant, group, app assignment, role assignment or API service)');
          return oktaObjectRecords(v as Record<string, unknown>, kind, grants, options.now, `${file.path}#${r.index}`);
        }),
    );
    for (let i = 0; i < items.length; i += 2000) yield items.slice(i, i + 2000);
  },
};
