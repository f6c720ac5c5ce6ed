import { RecordError } from '../../lib/errors.js';
import { redact } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord } from '../../model/index.js';
import { rec } from '../contract.js';
import { severityFrom10 } from '../generic-alerts/severity.js';
import {
  addAccessKey, addArn, addK8sUser, needTime, newRefs, parr, pick, pobj, principalFromText, pstr, type Refs,
} from './principals.js';

type Obj = Record<string, unknown>;

/** GuardDuty's threat purpose (the part of the finding type before `:`) as the MITRE ATT&CK tactic. */
const TACTICS: Record<string, string> = {
  InitialAccess: 'TA0001', Execution: 'TA0002', Persistence: 'TA0003', PrivilegeEscalation: 'TA0004', DefenseEvasion: 'TA0005',
  Stealth: 'TA0005', CredentialAccess: 'TA0006', Discovery: 'TA0007', Exfiltration: 'TA0010', Backdoor: 'TA0011', Impact: 'TA0040',
};

/**
 * One GuardDuty finding (GetFindings' PascalCase or EventBridge / S3 export camelCase) -> an alert
 * naming the principal and access key it involves (resource.accessKeyDetails, the instance profile of
 * an EC2 finding, the Kubernetes user of an EKS finding, or the principal its title names), the
 * remote IPs, hosts, accounts and resources. Archived and sample findings are kept and say so.
 */
export function guardDutyRecords(f: Obj, rawRef: string): CanonicalRecord[] {
  const findingId = pstr(f, 'id');
  if (!findingId) throw new RecordError('missing id');
  const type = pstr(f, 'type');
  if (!type) throw new RecordError('missing type');
  const severityRaw = pick(f, 'severity');
  const severityNum = typeof severityRaw === 'number' ? severityRaw : typeof severityRaw === 'string' && /^\d+(\.\d+)?$/.test(severityRaw) ? Number(severityRaw) : null;
  if (severityNum === null) throw new RecordError(severityRaw === undefined ? 'missing severity' : `bad severity ${JSON.stringify(severityRaw)} (expected 0-10)`);
  const service = pobj(f, 'service');
  const time = needTime(pick(f, 'createdAt') ?? pick(f, 'updatedAt') ?? pick(service, 'eventFirstSeen'), 'createdAt', toIso);
  const account = pstr(f, 'accountId');
  const resource = pobj(f, 'resource');
  const action = pobj(service, 'action');
  const api = pobj(action, 'awsApiCallAction');
  const refs = newRefs();
  const entities: Record<string, string[]> = {};
  const entity = (k: string, v: string | null) => {
    if (!v) return;
    (entities[k] ??= []).includes(v) || entities[k].push(v);
  };
  entity('account', account);

  let actor: string | null = null;
  const keyDetails = pobj(resource, 'accessKeyDetails');
  if (keyDetails) {
    actor = addAccessKey(refs, {
      accessKeyId: pstr(keyDetails, 'accessKeyId'), principalId: pstr(keyDetails, 'principalId'), userName: pstr(keyDetails, 'userName'),
      userType: pstr(keyDetails, 'userType'), account,
    }, time);
  }
  const instance = pobj(resource, 'instanceDetails');
  if (instance) {
    entity('host', pstr(instance, 'instanceId'));
    const profile = pstr(pobj(instance, 'iamInstanceProfile'), 'arn');
    if (profile) actor ??= addArn(refs, profile, time);
    for (const ni of parr(instance, 'networkInterfaces')) {
      entity('ip', pstr(ni as Obj, 'publicIp'));
      entity('ip', pstr(ni as Obj, 'privateIpAddress'));
    }
  }
  const eks = pobj(resource, 'eksClusterDetails');
  const k8sUser = pstr(pobj(pobj(resource, 'kubernetesDetails'), 'kubernetesUserDetails'), 'username');
  if (k8sUser) actor ??= addK8sUser(refs, pstr(eks, 'name') ?? 'default', k8sUser, time);
  for (const b of parr(resource, 's3BucketDetails')) {
    const bucket = b as Obj;
    entity('resource', pstr(bucket, 'arn') ?? (pstr(bucket, 'name') ? `arn:aws:s3:::${pstr(bucket, 'name')}` : null));
  }
  entity('resource', pstr(eks, 'arn'));
  entity('resource', pstr(pobj(resource, 'lambdaDetails'), 'functionArn'));
  entity('resource', pstr(pobj(resource, 'rdsDbInstanceDetails'), 'dbInstanceArn'));
  for (const target of Object.values(pobj(api, 'affectedResources') ?? {})) {
    if (typeof target !== 'string') continue;
    if (!addArn(refs, target, time)) entity('resource', target);
    else entity('target', target);
  }
  attackSequence(refs, pobj(pobj(service, 'detection'), 'sequence'), time, entity);
  if (!actor) {
    const named = principalFromText([pstr(f, 'description'), pstr(f, 'title')], account);
    if (named) actor = addAccessKey(refs, named, time);
  }
  for (const ip of remoteIps(action)) entity('ip', ip);
  entity('account', pstr(pobj(api, 'remoteAccountDetails'), 'accountId'));
  entity('domain', pstr(pobj(api, 'domainDetails'), 'domain'));
  entity('domain', pstr(pobj(action, 'dnsRequestAction'), 'domain'));
  entity('application', pstr(api, 'serviceName'));

  const additional = pobj(service, 'additionalInfo');
  const sample = pick(additional, 'sample') === true || /"sample"\s*:\s*true/.test(pstr(additional, 'value') ?? '');
  const archived = pick(service, 'archived') === true || pick(f, 'archived') === true;
  const confidence = Number(pick(f, 'confidence'));
  const text = `${pstr(f, 'title') ?? ''}\n${pstr(f, 'description') ?? ''}`;
  const mitre = [...new Set([TACTICS[type.split(':')[0]], ...(text.match(/\bT\d{4}(?:\.\d{3})?\b/g) ?? [])].filter((x): x is string => Boolean(x)))];
  const target = entities.target?.[0] ?? entities.resource?.[0] ?? entities.host?.[0] ?? null;
  return [
    ...refs.records,
    rec.alert({
      id: `guardduty:${findingId}`,
      time,
      source: 'guardduty',
      severity: severityFrom10(severityNum),
      title: pstr(f, 'title') ?? type,
      description: pstr(f, 'description') ?? '',
      rule: type,
      identities: refs.identities,
      credentials: refs.credentials,
      entities,
      mitre,
      confidence: sample ? 0.1 : Number.isFinite(confidence) && confidence > 0 ? Math.min(1, confidence / 10) : 0.7,
      rawRef,
      detail: compact({
        actor, target, arn: pstr(f, 'arn'), account, region: pstr(f, 'region'), score: severityNum,
        resourceType: pstr(resource, 'resourceType'), resourceRole: pstr(service, 'resourceRole'),
        actionType: pstr(action, 'actionType'), api: pstr(api, 'api'), callerType: pstr(api, 'callerType'),
        count: pick(service, 'count') ?? null, eventFirstSeen: safeIso(pick(service, 'eventFirstSeen')), eventLastSeen: safeIso(pick(service, 'eventLastSeen')),
        updatedAt: safeIso(pick(f, 'updatedAt')), archived: archived || null, sample: sample || null,
        featureName: pstr(service, 'featureName'), additionalInfo: additional ? redact(additional) : null,
      }),
    }),
  ];
}

/** Attack sequences list their actors (sessions, principals) and the resources they touched. */
function attackSequence(refs: Refs, seq: Obj | null, time: string, entity: (k: string, v: string | null) => void): void {
  if (!seq) return;
  for (const a of parr(seq, 'actors')) {
    const uid = pstr(pobj(a as Obj, 'session'), 'uid') ?? pstr(a as Obj, 'id');
    if (uid?.startsWith('arn:')) addArn(refs, uid, time);
  }
  for (const r of parr(seq, 'resources')) {
    const uid = pstr(r as Obj, 'uid');
    const rtype = pstr(r as Obj, 'resourceType') ?? '';
    if (!uid) continue;
    if (/AccessKey/i.test(rtype)) addAccessKey(refs, { accessKeyId: uid, account: pstr(r as Obj, 'accountId') }, time);
    else if (!(uid.startsWith('arn:') && addArn(refs, uid, time))) entity('resource', uid);
  }
  for (const e of parr(seq, 'endpoints')) entity('ip', pstr(e as Obj, 'ip'));
}

function remoteIps(action: Obj | null): string[] {
  if (!action) return [];
  const out: string[] = [];
  for (const key of ['awsApiCallAction', 'networkConnectionAction', 'kubernetesApiCallAction', 'rdsLoginAttemptAction']) {
    const a = pobj(action, key);
    const ip = pstr(pobj(a, 'remoteIpDetails'), 'ipAddressV4') ?? pstr(pobj(a, 'remoteIpDetails'), 'ipAddressV6');
    if (ip) out.push(ip);
    for (const s of parr(a, 'sourceIps')) if (typeof s === 'string') out.push(s);
  }
  for (const d of parr(pobj(action, 'portProbeAction'), 'portProbeDetails')) {
    const ip = pstr(pobj(d as Obj, 'remoteIpDetails'), 'ipAddressV4');
    if (ip) out.push(ip);
  }
  return out;
}

function safeIso(v: unknown): string | null {
  try {
    return toIso(v);
  } catch {
    return null;
  }
}

function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}
