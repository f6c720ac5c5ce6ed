import { RecordError } from '../../lib/errors.js';
import { redact } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, Severity } from '../../model/index.js';
import { rec } from '../contract.js';
import { severityFrom100, severityFromWord } from '../generic-alerts/severity.js';
import { addAccessKey, addArn, addIdentity, needTime, newRefs, parr, pobj, pstr } from '../aws-guardduty/principals.js';

type Obj = Record<string, unknown>;

/**
 * One AWS Security Finding Format finding (Security Hub `get-findings`, EventBridge "Security Hub
 * Findings - Imported") -> an alert naming the IAM principals and keys among its Resources
 * (AwsIamAccessKey with its session issuer, AwsIamUser, AwsIamRole), the other resources as targets,
 * and the remote IPs of its Action. Resource roles (Actor / Target) decide actor and target.
 */
export function asffRecords(f: Obj, rawRef: string): CanonicalRecord[] {
  const id = pstr(f, 'Id');
  if (!id) throw new RecordError('missing Id');
  const title = pstr(f, 'Title');
  if (!title) throw new RecordError('missing Title');
  const time = needTime(f.CreatedAt ?? f.FirstObservedAt ?? f.UpdatedAt, 'CreatedAt', toIso);
  const severity = severityOf(f);
  const account = pstr(f, 'AwsAccountId');
  const refs = newRefs();
  const entities: Record<string, string[]> = {};
  const entity = (k: string, v: string | null) => {
    if (v) (entities[k] ??= []).includes(v) || entities[k].push(v);
  };
  entity('account', account);
  let actor: string | null = null;
  const targets: string[] = [];

  for (const r of parr(f, 'Resources')) {
    const res = r as Obj;
    const type = pstr(res, 'Type') ?? '';
    const rid = pstr(res, 'Id');
    const role = (pstr(res, 'ResourceRole') ?? '').toLowerCase();
    const details = pobj(res, 'Details');
    let identity: string | null = null;
    if (type === 'AwsIamAccessKey') {
      const d = pobj(details, 'AwsIamAccessKey');
      const issuer = pobj(pobj(d, 'SessionContext'), 'SessionIssuer');
      identity = addAccessKey(refs, {
        accessKeyId: pstr(d, 'AccessKeyId') ?? (rid ? rid.replace(/^AWS::IAM::AccessKey:/, '') : null),
        principalId: pstr(d, 'PrincipalId'),
        userName: pstr(d, 'PrincipalName') ?? pstr(d, 'UserName'),
        userType: pstr(d, 'PrincipalType'),
        issuerArn: pstr(issuer, 'Arn'),
        account: pstr(d, 'AccountId') ?? account,
      }, time);
    } else if (/^AwsIam(User|Role|Group)$/.test(type) && rid) {
      identity = rid.startsWith('arn:') ? addArn(refs, rid, time) : refs.credentials.some((c) => c.endsWith(`:${rid}`)) ? null : iamByName(refs, type, rid, account, time);
    } else if (rid) {
      if (role === 'actor') entity('resource', rid);
      else targets.push(rid);
      if (type === 'AwsEc2Instance') entity('host', rid);
    }
    if (identity && role === 'actor') actor ??= identity;
    else if (identity && role === 'target') targets.push(identity);
  }
  for (const t of targets) entity('target', t);
  actor ??= refs.identities.find((i) => !targets.includes(i) && !i.startsWith('aws:access-key:')) ?? null;
  const action = pobj(f, 'Action');
  const api = pobj(action, 'AwsApiCallAction');
  for (const key of ['AwsApiCallAction', 'NetworkConnectionAction', 'PortProbeAction']) {
    entity('ip', pstr(pobj(pobj(action, key), 'RemoteIpDetails'), 'IpAddressV4'));
  }
  entity('application', pstr(api, 'ServiceName'));
  entity('domain', pstr(pobj(api, 'DomainDetails'), 'Domain'));
  const product = pstr(f, 'ProductName') ?? pstr(pobj(f, 'ProductFields'), 'aws/securityhub/ProductName');
  const types = parr(f, 'Types').concat(parr(pobj(f, 'FindingProviderFields'), 'Types')).filter((t): t is string => typeof t === 'string');
  const fields = pobj(f, 'ProductFields');
  entity('userAgent', Object.entries(fields ?? {}).find(([k]) => /userAgent$/i.test(k))?.[1] as string ?? null);

  return [
    ...refs.records,
    rec.alert({
      id: `securityhub:${id}`,
      time,
      source: product ? `securityhub:${product.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` : 'securityhub',
      severity,
      title,
      description: pstr(f, 'Description') ?? '',
      rule: pstr(f, 'GeneratorId') ?? types[0] ?? null,
      identities: refs.identities,
      credentials: refs.credentials,
      entities,
      mitre: [...new Set(`${title}\n${pstr(f, 'Description') ?? ''}`.match(/\bT\d{4}(?:\.\d{3})?\b/g) ?? [])],
      confidence: typeof f.Confidence === 'number' ? Math.min(1, Math.max(0, f.Confidence / 100)) : 0.7,
      rawRef,
      detail: compact({
        actor, target: targets[0] ?? null, productArn: pstr(f, 'ProductArn'), product, company: pstr(f, 'CompanyName'), types: types.length ? types : null,
        account, region: pstr(f, 'Region'), api: pstr(api, 'Api'), recordState: pstr(f, 'RecordState'),
        workflowStatus: pstr(pobj(f, 'Workflow'), 'Status'), updatedAt: safeIso(f.UpdatedAt), lastObservedAt: safeIso(f.LastObservedAt),
        productFields: fields ? redact(fields) : null,
      }),
    }),
  ];
}

/** ASFF: the finding provider's label first, then the finding's own label, then its normalized score. */
function severityOf(f: Obj): Severity {
  const provider = pobj(pobj(f, 'FindingProviderFields'), 'Severity');
  const own = pobj(f, 'Severity');
  for (const label of [pstr(provider, 'Label'), pstr(own, 'Label')]) {
    const s = label ? severityFromWord(label) : null;
    if (s) return s;
  }
  for (const n of [provider?.Normalized, own?.Normalized, own?.Product]) if (typeof n === 'number') return severityFrom100(n);
  throw new RecordError('missing Severity (expected Severity.Label or Severity.Normalized)');
}

/** An IAM principal Security Hub names by name only. */
function iamByName(refs: ReturnType<typeof newRefs>, type: string, name: string, account: string | null, time: string): string | null {
  if (!account) return null;
  const kind = type === 'AwsIamUser' ? 'user' : type === 'AwsIamRole' ? 'role' : 'group';
  const arn = `arn:aws:iam::${account}:${kind}/${name}`;
  addIdentity(refs, arn, kind === 'user' ? 'service_account' : kind === 'role' ? 'role' : 'group', name, account, time);
  return arn;
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
