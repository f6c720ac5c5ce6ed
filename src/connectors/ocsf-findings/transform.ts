import { RecordError } from '../../lib/errors.js';
import { redact, shortHash } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, IdentityKind, Provider } from '../../model/index.js';
import { rec } from '../contract.js';
import { severityFromOcsf } from '../generic-alerts/severity.js';
import { addAccessKey, addArn, needTime, newRefs, type Refs } from '../aws-guardduty/principals.js';

type Obj = Record<string, unknown>;

/** OCSF classes read as alerts: Detection Finding (1.1+) and its predecessor Security Finding (1.0). */
export const FINDING_CLASSES = new Set([2004, 2001]);

/**
 * One OCSF Detection Finding -> an alert naming its actor (OCSF `actor.user`, with its session's
 * credential), the users named in its evidences, its resources as targets, and the endpoints, hosts and
 * applications it mentions. Users are given the ids their providers' connectors use when the product
 * says which provider they belong to (an ARN, Okta, Entra, Google, GitHub), else `generic:user:...`
 * with their email, which identity resolution links to the person.
 */
export function ocsfRecords(v: Obj, rawRef: string): CanonicalRecord[] {
  const classUid = num(v.class_uid);
  if (classUid === null || !FINDING_CLASSES.has(classUid)) throw new RecordError(classUid === null ? 'missing class_uid' : `class_uid ${classUid} is not a Detection Finding (2004)`);
  const info = obj(v.finding_info) ?? obj(v.finding);
  if (!info) throw new RecordError('missing finding_info');
  const uid = str(info.uid);
  if (!uid) throw new RecordError('missing finding_info.uid');
  const title = str(info.title) ?? str(obj(info.analytic)?.name) ?? str(v.message);
  if (!title) throw new RecordError('missing finding_info.title');
  const time = needTime(v.time ?? info.created_time ?? info.first_seen_time, 'time', toIso);
  const severity = severityFromOcsf(num(v.severity_id), v.severity);
  if (!severity) throw new RecordError(`missing severity_id (got ${JSON.stringify(v.severity_id ?? v.severity ?? null)})`);

  const metadata = obj(v.metadata);
  const product = obj(metadata?.product);
  const productName = str(product?.name) ?? 'ocsf';
  const vendor = str(product?.vendor_name) ?? '';
  const cloud = obj(v.cloud);
  const provider = providerOf(vendor, str(cloud?.provider), productName);
  const account = str(obj(cloud?.account)?.uid);
  const refs = newRefs();
  const entities: Record<string, string[]> = {};
  const entity = (k: string, x: string | null) => {
    if (x) (entities[k] ??= []).includes(x) || entities[k].push(x);
  };
  entity('account', account);

  const actorObj = obj(v.actor);
  const actor = actorObj ? addActor(refs, actorObj, provider, account, time) : null;
  entity('application', str(actorObj?.app_name));
  const evidences = Array.isArray(v.evidences) ? (v.evidences as unknown[]) : [];
  for (const e of evidences) {
    const ev = obj(e);
    if (!ev) continue;
    if (obj(ev.actor)) addActor(refs, obj(ev.actor)!, provider, account, time);
    entity('ip', str(obj(ev.src_endpoint)?.ip));
    entity('host', str(obj(ev.src_endpoint)?.hostname));
    entity('ip', str(obj(ev.dst_endpoint)?.ip));
    entity('application', str(obj(obj(ev.api)?.service)?.name));
  }
  entity('ip', str(obj(v.src_endpoint)?.ip));
  entity('host', str(obj(v.src_endpoint)?.hostname));
  entity('host', str(obj(v.device)?.hostname));
  entity('ip', str(obj(v.device)?.ip));
  entity('application', str(obj(obj(v.api)?.service)?.name));
  const targets: string[] = [];
  for (const r of Array.isArray(v.resources) ? (v.resources as unknown[]) : []) {
    const res = obj(r);
    const rid = str(res?.uid) ?? str(res?.name);
    if (!rid) continue;
    const asIdentity = rid.startsWith('arn:') ? addArn(refs, rid, time) : null;
    targets.push(asIdentity ?? rid);
    if (!asIdentity) entity('resource', rid);
  }
  for (const t of targets) entity('target', t);

  const cloudtrail = /cloudtrail/i.test(productName);
  const events = (Array.isArray(info.related_events) ? (info.related_events as unknown[]) : [])
    .map((e) => str(obj(e)?.uid))
    .filter((x): x is string => Boolean(x))
    .map((e) => (cloudtrail && !e.includes(':') ? `aws:ct:${e}` : e));
  const attacks = [...(Array.isArray(v.attacks) ? v.attacks : []), ...(Array.isArray(info.attacks) ? info.attacks : [])] as unknown[];
  const mitre = new Set<string>();
  for (const a of attacks) {
    const at = obj(a);
    const tech = str(obj(at?.technique)?.uid) ?? str(obj(at?.sub_technique)?.uid);
    const tactic = str(obj(at?.tactic)?.uid);
    if (tech) mitre.add(tech);
    if (tactic) mitre.add(tactic);
  }
  const score = num(v.confidence_score);
  const confidenceId = num(v.confidence_id);
  const slug = productName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'ocsf';

  return [
    ...refs.records,
    rec.alert({
      id: `ocsf:${slug}:${uid}`,
      time,
      source: `ocsf:${slug}`,
      severity,
      title,
      description: str(info.desc) ?? str(v.message) ?? '',
      rule: str(obj(info.analytic)?.uid) ?? str(obj(info.analytic)?.name) ?? (Array.isArray(info.types) ? str(info.types[0]) : null),
      identities: refs.identities,
      credentials: refs.credentials,
      events,
      entities,
      mitre: [...mitre],
      confidence: score !== null ? Math.min(1, Math.max(0, score / 100)) : confidenceId === 1 ? 0.3 : confidenceId === 2 ? 0.6 : confidenceId === 3 ? 0.9 : 0.7,
      rawRef,
      detail: compact({
        actor, target: targets[0] ?? null, classUid, product: productName, vendor: vendor || null, status: str(v.status),
        activity: str(v.activity_name), types: Array.isArray(info.types) ? info.types : null,
        unmapped: obj(v.unmapped) ? redact(obj(v.unmapped)) : null,
      }),
    }),
  ];
}

type IdProvider = 'aws' | 'okta' | 'entra' | 'gcp' | 'github' | 'generic';

function providerOf(vendor: string, cloud: string | null, product: string): IdProvider {
  const text = `${vendor} ${cloud ?? ''} ${product}`.toLowerCase();
  if (/\baws\b|amazon/.test(text)) return 'aws';
  if (/okta/.test(text)) return 'okta';
  if (/microsoft|azure|entra/.test(text)) return 'entra';
  if (/google|gcp/.test(text)) return 'gcp';
  if (/github/.test(text)) return 'github';
  return 'generic';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An OCSF actor -> its identity id (added to refs), its session credential, and its app as an entity. */
function addActor(refs: Refs, actor: Obj, provider: IdProvider, account: string | null, time: string): string | null {
  const user = obj(actor.user);
  const session = obj(actor.session);
  const credential = str(session?.credential_uid) ?? str(user?.credential_uid);
  const uid = str(user?.uid);
  const name = str(user?.name);
  const email = str(user?.email_addr);
  const typeText = `${str(user?.type) ?? ''}`.toLowerCase();
  let id: string | null = null;
  if (credential && /^(AKIA|ASIA)[A-Z0-9]{16}$/.test(credential)) {
    // The session's key and the principal it belongs to, by ARN when the actor gives one.
    id = addAccessKey(refs, {
      accessKeyId: credential, issuerArn: uid?.startsWith('arn:') ? uid : null, principalId: uid, userName: name,
      userType: str(user?.type), account: str(obj(user?.account)?.uid) ?? account,
    }, time);
  }
  if (!id && uid?.startsWith('arn:')) id = addArn(refs, uid, time);
  if (!id && user) {
    const kind: IdentityKind = /system|service|bot|app/.test(typeText) || /\.gserviceaccount\.com$/i.test(email ?? name ?? '') ? 'service_account' : 'human';
    let p: Provider = 'generic';
    if (provider === 'okta' && uid) {
      id = `okta:user:${uid}`;
      p = 'okta';
    } else if (provider === 'entra' && uid && GUID.test(uid)) {
      id = `entra:user:${uid}`;
      p = 'entra';
    } else if (provider === 'gcp' && (email ?? name)?.includes('@')) {
      const e = (email ?? name)!.toLowerCase();
      id = e.endsWith('.gserviceaccount.com') ? `gcp:sa:${e}` : `gcp:user:${e}`;
      p = 'gcp';
    } else if (provider === 'github' && name) {
      id = `github:user:${name.toLowerCase()}`;
      p = 'github';
    } else if (uid || name || email) {
      // Ids are never an email: an account known only by its email gets a hash of it.
      id = `generic:user:${uid ?? (name && !name.includes('@') ? name : `h:${shortHash((email ?? name)!.toLowerCase(), 16)}`)}`;
    }
    if (id && !refs.identities.includes(id)) {
      refs.identities.push(id);
      refs.records.push(rec.identity({ id, kind, provider: p, name: name ?? email ?? uid ?? id, email: email ?? (name?.includes('@') ? name : null), lastSeenAt: time, origin: 'alert' }));
    }
  }
  if (credential && !/^(AKIA|ASIA)[A-Z0-9]{16}$/.test(credential) && !refs.credentials.includes(credential)) refs.credentials.push(credential);
  return id;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null;
}

function obj(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, x] of Object.entries(o)) if (x !== undefined && x !== null) out[k] = x;
  return out;
}
