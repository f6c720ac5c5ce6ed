import { shortHash } from '../../lib/secrets.js';
import { readJsonRecords, type JsonRecord } from './json-records.js';
import type { SourceFile } from './source-file.js';

/**
 * Microsoft Graph JSON as exports hold it: `{"@odata.context": ..., "value": [...]}` pages, arrays of
 * objects (az CLI, Graph PowerShell's ConvertTo-Json), several pages one per line or in an array, and
 * the snake_case objects the Python Graph SDK serialises (`app_id`, `display_name`).
 */

/** One Graph object located in its file. `context` is the page's `@odata.context`, when the file says it. */
export interface GraphRecord extends JsonRecord {
  context: string | null;
}

/**
 * Streams the objects of a Graph export. Pages nested in an array or NDJSON are unwrapped, so the
 * index counts objects, not pages; a page's line is given to each of its objects.
 */
export async function* readGraphRecords(file: SourceFile, batchSize = 2000): AsyncGenerator<GraphRecord[]> {
  const fileContext = odataContextOf(file.head);
  let index = 0;
  for await (const batch of readJsonRecords(file, ['value'], batchSize)) {
    const out: GraphRecord[] = [];
    for (const r of batch) {
      const v = r.value as Record<string, unknown> | undefined;
      if (v && typeof v === 'object' && !Array.isArray(v) && Array.isArray(v.value) && ('@odata.context' in v || '@odata.nextLink' in v || Object.keys(v).length === 1)) {
        const ctx = typeof v['@odata.context'] === 'string' ? (v['@odata.context'] as string) : fileContext;
        for (const el of v.value as unknown[]) out.push({ index: index++, line: r.line, value: el, context: ctx });
        continue;
      }
      out.push({ index: index++, line: r.line, value: r.value, error: r.error, context: fileContext });
    }
    if (out.length) yield out;
  }
}

/** The `@odata.context` URL near the start of a file, or null. */
export function odataContextOf(head: string): string | null {
  const m = /"@odata\.context"\s*:\s*"([^"]*)"/.exec(head.slice(0, 4096));
  return m ? m[1] : null;
}

/**
 * What a Graph context URL lists: `users`, `servicePrincipals`, `auditLogs/signIns`,
 * `applications('id')/federatedIdentityCredentials`, ... (the part after `$metadata#`, without
 * `(select list)` and `/$entity`).
 */
export function collectionOf(context: string | null): string | null {
  if (!context) return null;
  const i = context.indexOf('$metadata#');
  if (i === -1) return null;
  let c = context.slice(i + 10).replace(/\/\$entity$/, '');
  // A trailing `(select list)` or `(owners(),members())` names properties, not a parent object.
  if (c.endsWith(')')) {
    let depth = 0;
    for (let j = c.length - 1; j >= 0; j--) {
      if (c[j] === ')') depth++;
      else if (c[j] === '(' && --depth === 0) {
        if (!c.slice(j).includes("'")) c = c.slice(0, j);
        break;
      }
    }
  }
  return c;
}

const snakeCache = new Map<string, string>();
function snake(key: string): string {
  let s = snakeCache.get(key);
  if (s === undefined) {
    s = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeCache.set(key, s);
  }
  return s;
}

/** A Graph property by its camelCase name, or its snake_case twin from the Python SDK. */
export function gp(obj: Record<string, unknown> | null | undefined, key: string): unknown {
  if (!obj) return undefined;
  const v = obj[key];
  return v !== undefined ? v : obj[snake(key)];
}

export function gs(obj: Record<string, unknown> | null | undefined, key: string): string | null {
  const v = gp(obj, key);
  if (typeof v === 'string') return v.trim() === '' ? null : v;
  if (typeof v === 'number') return String(v);
  return null;
}

export function gobj(obj: Record<string, unknown> | null | undefined, key: string): Record<string, unknown> | null {
  const v = gp(obj, key);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export function garr(obj: Record<string, unknown> | null | undefined, key: string): unknown[] {
  const v = gp(obj, key);
  return Array.isArray(v) ? v : [];
}

/** The `@odata.type` of an object without its `#microsoft.graph.` prefix (`servicePrincipal`), or null. */
export function odataType(obj: Record<string, unknown>): string | null {
  const t = obj['@odata.type'] ?? obj.odata_type ?? obj.__type__;
  if (typeof t !== 'string' || !t) return null;
  const s = t.replace(/^#?microsoft\.graph\./, '');
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/**
 * Entra ID and Azure ids (docs/model.md): object ids stay visible by type, apps are named by their
 * appId (global across tenants), credentials by their keyId (the id sign-in logs report).
 */
export const entraId = {
  user: (objectId: string) => `entra:user:${objectId}`,
  app: (appId: string) => `entra:app:${appId}`,
  /** An application object known only by its object id (audit logs rarely state the appId). */
  appObject: (objectId: string) => `entra:appobj:${objectId}`,
  sp: (objectId: string) => `entra:sp:${objectId}`,
  mi: (objectId: string) => `entra:mi:${objectId}`,
  group: (objectId: string) => `entra:group:${objectId}`,
  role: (roleDefinitionId: string) => `entra:role:${roleDefinitionId}`,
  credential: (keyId: string) => `entra:credential:${keyId}`,
  /** A user named only by their sign-in name in a log that gives no object id. */
  upn: (upn: string) => `entra:upn:${upn.toLowerCase()}`,
};

/** The external workload of a federated credential: `oidc:<issuer host and path>#<subject>`. */
export function oidcSubjectId(issuer: string, subject: string): string {
  return `oidc:${issuer.replace(/^https?:\/\//, '').replace(/\/+$/, '')}#${subject}`;
}

/** Azure resource ids are case-insensitive and logs print them in either case: ids use lower case. */
export function azureResourceId(id: string): string {
  return id.toLowerCase();
}

/** `{ subscription, resourceGroup, type, name }` of an Azure resource id, or null when it is not one. */
export function parseAzureResourceId(id: string): { subscription: string | null; resourceGroup: string | null; type: string; name: string } | null {
  if (!id.startsWith('/')) return null;
  const parts = id.split('/').filter(Boolean);
  const lower = parts.map((p) => p.toLowerCase());
  const sub = lower.indexOf('subscriptions');
  const rg = lower.indexOf('resourcegroups');
  const subscription = sub !== -1 && parts[sub + 1] ? parts[sub + 1] : null;
  const resourceGroup = rg !== -1 && parts[rg + 1] ? parts[rg + 1] : null;
  // Extension resources nest a second `providers` segment: the last one names the resource.
  const prov = lower.lastIndexOf('providers');
  if (prov === -1 || !parts[prov + 1]) {
    const type = resourceGroup ? 'resourceGroups' : subscription ? 'subscriptions' : parts[0] ?? 'unknown';
    return { subscription, resourceGroup, type, name: parts[parts.length - 1] ?? '' };
  }
  const types = [parts[prov + 1]];
  let name = parts[prov + 1];
  const rest = parts.slice(prov + 2);
  for (let j = 0; j < rest.length; j += 2) {
    types.push(rest[j]);
    name = rest[j + 1] ?? rest[j];
  }
  return { subscription, resourceGroup, type: types.join('/'), name };
}

/** A stable id for a record that carries none of its own: a hash of its text. */
export function contentId(prefix: string, value: unknown): string {
  return `${prefix}:h:${shortHash(JSON.stringify(value), 24)}`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isGuid(s: string | null | undefined): boolean {
  return !!s && GUID.test(s);
}
