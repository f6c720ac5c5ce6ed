import { gobj, gs } from '../shared/graph.js';

type Obj = Record<string, unknown>;

export type EntraLogKind = 'signIn' | 'audit' | 'riskDetection' | 'spRiskDetection' | 'riskyUser' | 'riskyServicePrincipal';

/**
 * An Entra log record in either shape: Microsoft Graph's own objects (`/auditLogs/signIns`), or the
 * Azure Monitor diagnostic export (`{time, category, tenantId, properties: {...}}`, what Event Hubs,
 * storage accounts and SIEMs hold). In the second, `env` is the envelope and `props` the Graph object.
 */
export interface EntraLogRecord {
  kind: EntraLogKind;
  props: Obj;
  env: Envelope | null;
}

/** The Azure Monitor envelope's fields; pipelines lower-case their names (`calleripaddress`). */
export interface Envelope {
  time: unknown;
  category: string | null;
  tenantId: string | null;
  callerIpAddress: string | null;
  resultType: unknown;
  resultSignature: string | null;
  result: string | null;
  operationName: string | null;
  correlationId: string | null;
}

const CATEGORY: Record<string, EntraLogKind> = {
  signinlogs: 'signIn',
  noninteractiveusersigninlogs: 'signIn',
  serviceprincipalsigninlogs: 'signIn',
  managedidentitysigninlogs: 'signIn',
  auditlogs: 'audit',
  userriskevents: 'riskDetection',
  serviceprincipalriskevents: 'spRiskDetection',
  riskyusers: 'riskyUser',
  riskyserviceprincipals: 'riskyServicePrincipal',
};

export function classifyEntraLog(v: Obj): EntraLogRecord | null {
  const props = gobj(v, 'properties');
  if (props && ('time' in v || 'category' in v || 'operationName' in v || 'operationname' in v)) {
    const env = envelopeOf(v);
    const byCategory = env.category ? CATEGORY[env.category.toLowerCase()] : undefined;
    const kind = byCategory ?? shapeKind(props) ?? (props.initiatedBy ? 'audit' : null);
    return kind ? { kind, props, env } : null;
  }
  const kind = shapeKind(v);
  return kind ? { kind, props: v, env: null } : null;
}

function shapeKind(p: Obj): EntraLogKind | null {
  if ('riskEventType' in p) return 'servicePrincipalId' in p ? 'spRiskDetection' : 'riskDetection';
  if ('riskLastUpdatedDateTime' in p) return 'servicePrincipalType' in p || 'appId' in p ? 'riskyServicePrincipal' : 'riskyUser';
  if ('initiatedBy' in p || 'activityDateTime' in p) return 'audit';
  if ('createdDateTime' in p && ('userId' in p || 'servicePrincipalId' in p || 'appId' in p || 'userPrincipalName' in p)) return 'signIn';
  return null;
}

function envelopeOf(v: Obj): Envelope {
  const s = (a: string, b: string) => gs(v, a) ?? gs(v, b);
  return {
    time: v.time ?? v.TimeGenerated,
    category: s('category', 'Category'),
    tenantId: s('tenantId', 'tenantid'),
    callerIpAddress: s('callerIpAddress', 'calleripaddress'),
    resultType: v.resultType ?? v.resulttype,
    resultSignature: s('resultSignature', 'resultsignature'),
    result: gs(v, 'result'),
    operationName: s('operationName', 'operationname'),
    correlationId: s('correlationId', 'correlationid'),
  };
}
