import { RecordError } from '../../lib/errors.js';
import { classifySource } from '../../lib/network.js';
import { shortHash } from '../../lib/secrets.js';
import { TimeError, toIso } from '../../lib/time.js';
import type { CanonicalRecord, IdentityKind, SourceKind } from '../../model/index.js';
import { rec } from '../contract.js';
import { parseStructText, type Json } from './envelope.js';
import { accountRootArn, iamGroupArn, iamRoleArn, iamUserArn, keyFingerprint, lastSegment, roleArnFromSession } from './ids.js';
import { cleanPayload, newBudget } from './payload.js';
import { resolveActor, type Actor, type SeenPrincipals } from './principal.js';
import { namedResources } from './resources.js';
import { responseTime } from './times.js';

/**
 * One CloudTrail record -> the event, the identities and credentials it proves, the hops it shows
 * (observations: the store counts them into observed edges) and who created what (owner claims).
 */
export interface RecordContext {
  path: string;
  index: number;
  /** Principals already emitted in the current batch (see SeenPrincipals). */
  seen: SeenPrincipals;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Objects as logged, or JSON text where a pipeline stringified them. */
const asObject = (v: unknown): Json | null => (isObject(v) ? v : typeof v === 'string' ? (isObjectOrNull(parseStructText(v))) : null);
const isObjectOrNull = (v: unknown): Json | null => (isObject(v) ? v : null);

const absent = (v: unknown): boolean => v === undefined || v === null || v === '';

function hasKeys(o: Json): boolean {
  for (const _ in o) return true;
  return false;
}

export function transform(r: Json, ctx: RecordContext): CanonicalRecord[] {
  const rawTime = r.eventTime;
  const action = r.eventName;
  const source = r.eventSource;
  const ui = r.userIdentity;
  if (absent(rawTime) || absent(action) || absent(source) || !isObject(ui) || !hasKeys(ui)) {
    const missing = [['eventTime', rawTime], ['eventName', action], ['eventSource', source]].filter(([, v]) => absent(v)).map(([k]) => k);
    if (!isObject(ui) || !hasKeys(ui)) missing.push('userIdentity');
    throw new RecordError(`missing ${missing.join(', ')}`);
  }
  if (typeof action !== 'string') throw new RecordError(`eventName: expected a string, got ${typeof action}`);
  if (typeof source !== 'string') throw new RecordError(`eventSource: expected a string, got ${typeof source}`);
  const time = eventTime(rawTime);

  const id = typeof r.eventID === 'string' && r.eventID ? `aws:ct:${r.eventID}` : `aws:ct:h:${shortHash(JSON.stringify(r), 24)}`;
  const recipient = str(r.recipientAccountId);
  const region = str(r.awsRegion);
  const actor = resolveActor(ui as Json, r, time, recipient, ctx.seen);
  const chain = actor.chain;
  const rp = asObject(r.requestParameters);
  const re = asObject(r.responseElements);
  const errorCode = r.errorCode === undefined || r.errorCode === null ? null : String(r.errorCode);
  const failed = errorCode !== null || (re !== null && re.ConsoleLogin === 'Failure');
  const account = recipient ?? str((ui as Json).accountId);

  if (chain.sourceIdentity === null && rp && action.startsWith('AssumeRole')) chain.sourceIdentity = str(rp.sourceIdentity);
  const extra = isObject(r.additionalEventData) ? r.additionalEventData : null;
  if (chain.mfa === null && extra && typeof extra.MFAUsed === 'string') chain.mfa = extra.MFAUsed === 'Yes';

  const named = namedResources(source, action, rp, re, r.resources, account, region);
  const sourceIp = str(r.sourceIPAddress);
  const userAgent = str(r.userAgent);

  const out: CanonicalRecord[] = [
    rec.event({
      id, time, provider: 'aws', service: source, action, outcome: failed ? 'failure' : 'success', errorCode,
      actorId: actor.id, chain, target: named.target, resources: named.resources,
      sourceIp, sourceKind: sourceKindOf(sourceIp), userAgent: userAgent && userAgent.length > 1024 ? userAgent.slice(0, 1024) : userAgent,
      region, account, rawRef: `${ctx.path}#${ctx.index}`, detail: detailOf(r, rp, re, extra, ui as Json),
    }),
  ];
  for (const x of actor.records) out.push(x);
  if (failed) return out;

  if (source === 'sts.amazonaws.com') stsHops(out, id, action, time, actor, rp, re, account);
  else if (source === 'iam.amazonaws.com' && action.startsWith('Create')) creations(out, id, action, time, actor, rp, re, account);
  const reach = DATA_ACCESS.get(source);
  if (reach && reach.actions(action)) {
    for (const to of reachedResources(named.resources, reach.arnPrefix)) {
      out.push(rec.observation({ eventId: id, from: actor.id, to, kind: 'can_access', time }));
    }
  }
  return out;
}

function eventTime(raw: unknown): string {
  let time: string | null;
  try {
    time = toIso(raw, 'eventTime');
  } catch (err) {
    if (err instanceof TimeError) throw new RecordError(err.message);
    throw new RecordError(`eventTime: ${JSON.stringify(raw).slice(0, 40)} is out of range`);
  }
  if (time === null) throw new RecordError('missing eventTime');
  if (time.length !== 24) throw new RecordError(`eventTime: ${JSON.stringify(raw).slice(0, 40)} is out of range`);
  return time;
}

const sourceKinds = new Map<string, SourceKind>();
/** Addresses repeat endlessly in a log; classifying one parses it. */
function sourceKindOf(ip: string | null): SourceKind {
  if (ip === null) return 'unknown';
  let k = sourceKinds.get(ip);
  if (k === undefined) {
    k = classifySource(ip);
    if (sourceKinds.size >= 20_000) sourceKinds.clear();
    sourceKinds.set(ip, k);
  }
  return k;
}

function detailOf(r: Json, rp: Json | null, re: Json | null, extra: Json | null, ui: Json): Json {
  const budget = newBudget();
  const d: Json = {};
  if (rp) d.requestParameters = cleanPayload(rp, budget);
  else if (r.requestParameters !== undefined && r.requestParameters !== null) d.requestParameters = cleanPayload(r.requestParameters, budget);
  if (re) d.responseElements = cleanPayload(re, budget);
  else if (r.responseElements !== undefined && r.responseElements !== null) d.responseElements = cleanPayload(r.responseElements, budget);
  if (extra) d.additionalEventData = cleanPayload(extra, budget);
  if (r.errorMessage !== undefined && r.errorMessage !== null) d.errorMessage = cleanPayload(String(r.errorMessage), budget);
  if (r.readOnly !== undefined) d.readOnly = r.readOnly === true || r.readOnly === 'true';
  if (typeof r.eventType === 'string') d.eventType = r.eventType;
  if (typeof r.eventCategory === 'string') d.eventCategory = r.eventCategory;
  if (r.managementEvent !== undefined) d.managementEvent = r.managementEvent === true || r.managementEvent === 'true';
  if (r.sessionCredentialFromConsole !== undefined) d.sessionCredentialFromConsole = r.sessionCredentialFromConsole === true || r.sessionCredentialFromConsole === 'true';
  if (typeof r.vpcEndpointId === 'string') d.vpcEndpointId = r.vpcEndpointId;
  // The actor id cannot hold these principals' own ids (another account's role session, an unknown type).
  if ((ui.type === 'AWSAccount' || ui.type === 'Unknown') && typeof ui.principalId === 'string' && ui.principalId) d.principalId = ui.principalId;
  if (budget.truncated) d.truncated = true;
  return d;
}

// ---- STS: role assumption, federation, session credentials ----

const ASSUME = new Set(['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity']);

function stsHops(out: CanonicalRecord[], eventId: string, action: string, time: string, actor: Actor, rp: Json | null, re: Json | null, account: string | null): void {
  const issued = re && isObject(re.credentials) ? str(re.credentials.accessKeyId) : null;
  let holder: string | null = null;
  let session: string | null = null;
  if (ASSUME.has(action)) {
    const assumed = re && isObject(re.assumedRoleUser) ? str(re.assumedRoleUser.arn) : null;
    // A roleArn that is not an ARN (damaged or anonymised) names nobody: fall back to the response.
    const requested = rp ? str(rp.roleArn) : null;
    holder = (requested?.startsWith('arn:') ? requested : null) ?? (assumed ? roleArnFromSession(assumed) : null);
    session = assumed;
    if (holder) out.push(rec.identity({ id: holder, kind: 'role', provider: 'aws', name: lastSegment(holder), account: accountOfArn(holder), origin: 'log' }));
  } else if (action === 'AssumeRoot') {
    const target = rp ? str(rp.targetPrincipal) : null;
    holder = target && /^\d{12}$/.test(target) ? accountRootArn(target) : target;
  } else if (action === 'GetFederationToken') {
    const fed = re && isObject(re.federatedUser) ? str(re.federatedUser.arn) : null;
    const name = rp ? str(rp.name) : null;
    holder = fed ?? (name && account ? `arn:aws:sts::${account}:federated-user/${name}` : null);
    session = holder;
    if (holder) out.push(rec.identity({ id: holder, kind: 'human', provider: 'aws', name: lastSegment(holder), account, origin: 'log', attributes: { federated: 'sts' } }));
  } else if (action === 'GetSessionToken') {
    holder = actor.id;
  }
  if (!holder) return;
  if (holder !== actor.id) out.push(rec.observation({ eventId, from: actor.id, to: holder, kind: 'assumed', time }));
  if (issued) {
    const creds = re!.credentials as Json;
    out.push(rec.credential({
      id: `aws:session-key:${issued}`, identityId: holder, type: 'session_key', fingerprint: keyFingerprint(issued),
      createdAt: time, expiresAt: responseTime(creds.expiration), origin: 'log',
      // Later calls signed with this key name only the role: these link them back to who assumed it.
      attributes: issuedAttributes(eventId, actor.id, session, actor.chain.sourceIdentity ?? (re && str(re.sourceIdentity))),
    }));
  }
}

/** Only known values: attributes merge key by key, and a null would erase what a later call showed. */
function issuedAttributes(issuedBy: string, issuedTo: string, session: string | null, sourceIdentity: string | null): Json {
  const a: Json = { issuedBy, issuedTo };
  if (session) a.session = session;
  if (sourceIdentity) a.sourceIdentity = sourceIdentity;
  return a;
}

function accountOfArn(arn: string): string | null {
  const parts = arn.split(':', 5);
  return parts.length >= 5 && parts[4] ? parts[4] : null;
}

// ---- IAM: identities created, and who created them ----

function creations(out: CanonicalRecord[], eventId: string, action: string, time: string, actor: Actor, rp: Json | null, re: Json | null, account: string | null): void {
  const fromResponse = (key: string): string | null => (re && isObject(re[key]) ? str((re[key] as Json).arn) : null);
  const named = (key: string, build: (acct: string, name: string) => string): string | null => {
    const name = rp ? str(rp[key]) : null;
    return name && account ? build(account, name) : null;
  };
  const created = (id: string | null, kind: IdentityKind, attributes?: Json): void => {
    if (!id) return;
    out.push(rec.identity({ id, kind, provider: 'aws', name: lastSegment(id), account: accountOfArn(id) ?? account, createdAt: time, origin: 'log', attributes }));
    claim(out, eventId, time, actor, id);
  };
  switch (action) {
    case 'CreateUser':
      return created(fromResponse('user') ?? named('userName', iamUserArn), 'service_account');
    case 'CreateRole':
    case 'CreateServiceLinkedRole':
      return created(fromResponse('role') ?? named('roleName', iamRoleArn), 'role');
    case 'CreateGroup':
      return created(fromResponse('group') ?? named('groupName', iamGroupArn), 'group');
    case 'CreateInstanceProfile':
      return created(fromResponse('instanceProfile') ?? named('instanceProfileName', (a, n) => `arn:aws:iam::${a}:instance-profile/${n}`), 'workload');
    case 'CreateOpenIDConnectProvider':
      return created(re ? str(re.openIDConnectProviderArn) : null, 'oauth_app', { federation: 'oidc' });
    case 'CreateSAMLProvider':
      return created((re ? str(re.sAMLProviderArn) : null) ?? named('name', (a, n) => `arn:aws:iam::${a}:saml-provider/${n}`), 'oauth_app', { federation: 'saml' });
    case 'CreateAccessKey': {
      const key = re && isObject(re.accessKey) ? re.accessKey : null;
      const keyId = key ? str(key.accessKeyId) : null;
      if (!keyId) return;
      // Without userName the key is for the caller itself.
      const owner = named('userName', iamUserArn) ?? (key && str(key.userName) && account ? iamUserArn(account, key.userName as string) : actor.id);
      const id = `aws:access-key:${keyId}`;
      const status = key && typeof key.status === 'string' ? key.status.toLowerCase() : null;
      out.push(
        rec.identity({ id, kind: 'api_key', provider: 'aws', name: keyId, account, createdAt: time, origin: 'log' }),
        rec.credential({
          id, identityId: owner, type: 'access_key', fingerprint: keyFingerprint(keyId), createdAt: responseTime(key!.createDate) ?? time,
          status: status === 'active' || status === 'inactive' ? status : 'unknown', origin: 'log',
        }),
        rec.edge({ from: owner, kind: 'owns_credential', to: id }),
        rec.observation({ eventId, from: actor.id, to: id, kind: 'created', time }),
      );
      if (owner !== actor.id && !actor.impersonal) out.push(ownerClaim(eventId, actor.id, id));
      return;
    }
    case 'CreateLoginProfile': {
      const user = named('userName', iamUserArn) ?? actor.id;
      const id = `aws:password:${user}`;
      out.push(
        rec.credential({ id, identityId: user, type: 'password', fingerprint: keyFingerprint(id), createdAt: time, origin: 'log' }),
        rec.observation({ eventId, from: actor.id, to: id, kind: 'created', time }),
      );
      return;
    }
  }
}

function claim(out: CanonicalRecord[], eventId: string, time: string, actor: Actor, created: string): void {
  out.push(rec.observation({ eventId, from: actor.id, to: created, kind: 'created', time }));
  if (!actor.impersonal) out.push(ownerClaim(eventId, actor.id, created));
}

/** "Who created it" is the weakest ownership evidence (OWNER_SOURCE_CONFIDENCE.creator). */
function ownerClaim(eventId: string, actorId: string, target: string): CanonicalRecord {
  return rec.ownerClaim({ target, ref: actorId, refType: 'identity', source: 'creator', confidence: 0.5, evidence: [eventId] });
}

// ---- data access: actor can_access resource ----

interface Reach {
  actions: (action: string) => boolean;
  /** Only resources of the service itself count (a KMS key named in an S3 call is not what was read). */
  arnPrefix: string;
}
const oneOf = (...names: string[]) => {
  const set = new Set(names);
  return (a: string) => set.has(a);
};
const DATA_ACCESS = new Map<string, Reach>([
  ['s3.amazonaws.com', { actions: () => true, arnPrefix: 'arn:aws:s3:::' }],
  ['secretsmanager.amazonaws.com', { actions: oneOf('GetSecretValue', 'BatchGetSecretValue', 'PutSecretValue', 'UpdateSecret'), arnPrefix: 'arn:aws:secretsmanager:' }],
  ['ssm.amazonaws.com', { actions: oneOf('GetParameter', 'GetParameters', 'GetParametersByPath', 'GetParameterHistory', 'PutParameter'), arnPrefix: 'arn:aws:ssm:' }],
  ['kms.amazonaws.com', { actions: oneOf('Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPair', 'ReEncrypt', 'Sign'), arnPrefix: 'arn:aws:kms:' }],
  ['dynamodb.amazonaws.com', {
    actions: oneOf('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem', 'BatchWriteItem', 'TransactGetItems', 'TransactWriteItems', 'Query', 'Scan', 'ExecuteStatement', 'ExportTableToPointInTime'),
    arnPrefix: 'arn:aws:dynamodb:',
  }],
  ['sqs.amazonaws.com', { actions: oneOf('SendMessage', 'SendMessageBatch', 'ReceiveMessage', 'DeleteMessage'), arnPrefix: 'arn:aws:sqs:' }],
  ['sns.amazonaws.com', { actions: oneOf('Publish', 'PublishBatch'), arnPrefix: 'arn:aws:sns:' }],
  ['lambda.amazonaws.com', { actions: oneOf('Invoke', 'InvokeFunction', 'InvokeWithResponseStream'), arnPrefix: 'arn:aws:lambda:' }],
  ['kinesis.amazonaws.com', { actions: oneOf('GetRecords', 'PutRecord', 'PutRecords'), arnPrefix: 'arn:aws:kinesis:' }],
  ['rds-data.amazonaws.com', { actions: oneOf('ExecuteStatement', 'BatchExecuteStatement'), arnPrefix: 'arn:aws:rds:' }],
]);

/**
 * The resources an access reached. S3 counts per bucket: an edge per object would grow without
 * bound, and the bucket is what policies grant and what crown jewels name (the object stays in the
 * event's resources).
 */
function reachedResources(resources: string[], prefix: string): string[] {
  const out: string[] = [];
  for (const arn of resources) {
    if (!arn.startsWith(prefix)) continue;
    let to = arn;
    if (prefix === 'arn:aws:s3:::') {
      const slash = arn.indexOf('/', prefix.length);
      if (slash !== -1) to = arn.slice(0, slash);
    }
    if (!out.includes(to)) out.push(to);
  }
  return out;
}
