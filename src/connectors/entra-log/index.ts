import type { Connector, ParseOptions, SourceItem } from '../contract.js';
import { toItem } from '../contract.js';
import type { SourceFile } from '../shared/source-file.js';
import { RecordError } from '../../lib/errors.js';
import { collectionOf, readGraphRecords } from '../shared/graph.js';
import { auditRecords } from './audit.js';
import { classifyEntraLog, type EntraLogKind } from './envelope.js';
import { riskRecords } from './risk.js';
import { signInRecords } from './signin.js';

/**
 * Entra logs: sign-ins, directory audits and ID Protection risk. All three read both Graph JSON and
 * the Azure Monitor diagnostic export, and each reads every Entra record kind, because diagnostic
 * exports (Event Hub, SIEM tables) mix categories in one file: the name says what the file mostly is.
 */
async function* parseEntraLog(file: SourceFile, _options: ParseOptions): AsyncIterable<SourceItem[]> {
  for await (const batch of readGraphRecords(file)) {
    yield batch.map((r) => {
      if (r.error !== undefined) return { index: r.index, line: r.line, reject: r.error };
      return toItem(r.index, r.line, () => {
        const v = r.value;
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RecordError('not an Entra log record (expected a JSON object)');
        const listed = kindOfCollection(collectionOf(r.context));
        let rec = classifyEntraLog(v as Record<string, unknown>);
        // A Graph page says what it lists: a partial record is still that kind, rejected for what it lacks.
        if (listed && (!rec || !rec.env)) rec = { kind: listed, props: v as Record<string, unknown>, env: null };
        if (!rec) throw new RecordError('not an Entra log record (expected a sign-in, a directory audit or a risk record; missing createdDateTime, activityDateTime or riskEventType)');
        const ref = `${file.path}#${r.index}`;
        if (rec.kind === 'signIn') return signInRecords(rec.props, rec.env, ref);
        if (rec.kind === 'audit') return auditRecords(rec.props, rec.env, ref);
        return riskRecords(rec.kind, rec.props, rec.env, ref);
      });
    });
  }
}

const COLLECTION_KINDS: [RegExp, EntraLogKind][] = [
  [/^auditLogs\/signIns/, 'signIn'],
  [/^auditLogs\/directoryAudits/, 'audit'],
  [/^identityProtection\/riskDetections/, 'riskDetection'],
  [/^identityProtection\/servicePrincipalRiskDetections/, 'spRiskDetection'],
  [/^identityProtection\/riskyUsers/, 'riskyUser'],
  [/^identityProtection\/riskyServicePrincipals/, 'riskyServicePrincipal'],
];

function kindOfCollection(collection: string | null): EntraLogKind | null {
  if (!collection) return null;
  for (const [re, kind] of COLLECTION_KINDS) if (re.test(collection)) return kind;
  return null;
}

/** Azure Monitor categories in a diagnostic export's head. */
function monitorCategories(head: string): string {
  if (!head.includes('"properties"')) return '';
  const out: string[] = [];
  for (const m of head.matchAll(/"category"\s*:\s*"([A-Za-z]+)"/gi)) out.push(m[1].toLowerCase());
  return out.join(' ');
}

export const signInConnector: Connector = {
  name: 'entra-signin-log',
  title: 'Microsoft Entra sign-in logs',
  category: 'log',
  produces: 'Graph GET /beta/auditLogs/signIns (user, non-interactive, servicePrincipal and managedIdentity signInEventTypes), or the SignInLogs, NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs and ManagedIdentitySignInLogs diagnostic categories exported by Azure Monitor',
  detect(sample) {
    const c = collectionOf(sample.head.match(/"@odata\.context"\s*:\s*"([^"]*)"/)?.[1] ?? null);
    if (c) return /^auditLogs\/signIns/.test(c) ? 0.95 : 0;
    if (/signinlogs/.test(monitorCategories(sample.head))) return 0.92;
    return /"createdDateTime"/.test(sample.head) && /"(userPrincipalName|servicePrincipalId)"/.test(sample.head) && /"(ipAddress|status|appId)"/.test(sample.head) && !sample.head.includes('"initiatedBy"') ? 0.8 : 0;
  },
  parse: parseEntraLog,
};

export const auditConnector: Connector = {
  name: 'entra-audit-log',
  title: 'Microsoft Entra audit logs',
  category: 'log',
  produces: 'Graph GET /auditLogs/directoryAudits, or the AuditLogs diagnostic category exported by Azure Monitor',
  detect(sample) {
    const c = collectionOf(sample.head.match(/"@odata\.context"\s*:\s*"([^"]*)"/)?.[1] ?? null);
    if (c) return /^auditLogs\/directoryAudits/.test(c) ? 0.95 : 0;
    const cats = monitorCategories(sample.head);
    if (/auditlogs/.test(cats) && !/signinlogs/.test(cats)) return 0.92;
    if (/auditlogs/.test(cats)) return 0.9;
    return sample.head.includes('"initiatedBy"') && sample.head.includes('"activityDateTime"') ? 0.85 : 0;
  },
  parse: parseEntraLog,
};

export const riskConnector: Connector = {
  name: 'entra-risk',
  title: 'Microsoft Entra ID Protection risk',
  category: 'alerts',
  produces: 'Graph GET /identityProtection/riskDetections, /servicePrincipalRiskDetections, /riskyUsers, /riskyServicePrincipals, or the UserRiskEvents, RiskyUsers, ServicePrincipalRiskEvents and RiskyServicePrincipals diagnostic categories',
  detect(sample) {
    const c = collectionOf(sample.head.match(/"@odata\.context"\s*:\s*"([^"]*)"/)?.[1] ?? null);
    if (c) return /^identityProtection\//.test(c) ? 0.95 : 0;
    if (/riskevents|riskyusers|riskyserviceprincipals/.test(monitorCategories(sample.head))) return 0.92;
    return sample.head.includes('"riskEventType"') || (sample.head.includes('"riskLastUpdatedDateTime"') && sample.head.includes('"riskState"')) ? 0.85 : 0;
  },
  parse: parseEntraLog,
};

export const connectors: Connector[] = [signInConnector, auditConnector, riskConnector];
