import { iamNameOf, parseArn } from '../../lib/aws/arn.js';
import { compact } from '../../lib/aws/attributes.js';
import { entitlementId, trustPolicyId } from '../../lib/aws/ids.js';
import { builtinPolicy, isAwsManagedPolicyArn, privilegeFromPolicyName, type BuiltinPolicy } from '../../lib/aws/managed-policies.js';
import type { ActionCatalog } from '../../lib/aws/privilege.js';
import { environmentOf, ownerClaimsFromTags, tagMap } from '../../lib/aws/tags.js';
import { RecordError } from '../../lib/errors.js';
import { redact, redactText } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, Entitlement, IdentityInput, Privilege } from '../../model/index.js';
import { rec } from '../contract.js';
import { decodePolicyDocument, type PolicyDocument, type Statement } from './documents.js';
import type { PreparedPolicy, PreparedPrincipal } from './prepare.js';
import { trustPrincipals, type TrustPrincipal } from './principals.js';
import { userKind } from './user-kind.js';

/** A managed policy as far as this file lets us know it. */
interface ResolvedManaged {
  arn: string;
  name: string;
  /** `file`: the export has its document; `builtin`: shipped in src/lib/aws; `name`: only its name is known. */
  source: 'file' | 'builtin' | 'name';
  statements: Statement[];
  builtin: BuiltinPolicy | null;
  doc: PolicyDocument | null;
  inferred: Privilege | null;
}

const builtinDocs = new Map<string, PolicyDocument>();
function builtinDoc(b: BuiltinPolicy): PolicyDocument {
  let d = builtinDocs.get(b.name);
  if (!d) builtinDocs.set(b.name, (d = decodePolicyDocument(b.document, b.name)));
  return d;
}

const ASSUME_ACTIONS: Record<string, string> = {
  'sts:assumerole': 'sts:AssumeRole',
  'sts:assumerolewithsaml': 'sts:AssumeRoleWithSAML',
  'sts:assumerolewithwebidentity': 'sts:AssumeRoleWithWebIdentity',
};

/**
 * Everything the file says, indexed for the second pass: groups by account and name (a user's
 * GroupList holds names), managed policies by ARN, and which principals and accounts the file covers
 * (a trust policy naming one of them needs no derived identity; naming another account makes it
 * external).
 */
export class AuthzIndex {
  readonly groups = new Map<string, PreparedPrincipal>();
  readonly policies = new Map<string, PreparedPolicy>();
  readonly principals = new Set<string>();
  readonly accounts = new Set<string>();
  /** Ids of records emitted once per file (derived identities, shipped policies), across items. */
  readonly emitted = new Set<string>();
  private readonly managed = new Map<string, ResolvedManaged>();
  private readonly privileges = new WeakMap<Statement, Privilege>();

  constructor(private readonly catalog: ActionCatalog) {}

  add(p: PreparedPrincipal | PreparedPolicy): void {
    if (p.kind === 'policy') {
      this.policies.set(p.arn, p);
      return;
    }
    this.principals.add(p.arn);
    this.accounts.add(p.account);
    if (p.kind === 'group') this.groups.set(groupKey(p.account, p.name), p);
  }

  group(account: string, name: string): PreparedPrincipal | undefined {
    return this.groups.get(groupKey(account, name));
  }

  /** Services every statement in the file names, so that the catalogue is loaded before classifying. */
  services(prepared: Iterable<PreparedPrincipal | PreparedPolicy>): Set<string> {
    const out = new Set<string>();
    const seen = new Set<PolicyDocument>();
    const addDoc = (d: PolicyDocument) => {
      if (seen.has(d)) return;
      seen.add(d);
      for (const st of d.statements) for (const s of this.catalog.servicesOf(st)) out.add(s);
    };
    for (const p of prepared) {
      if (p.kind === 'policy') addDoc(p.doc);
      else {
        for (const i of p.inline) addDoc(i.doc);
        for (const a of p.attached) if (!this.policies.has(a.arn)) {
          const b = builtinPolicy(a.arn);
          if (b) addDoc(builtinDoc(b));
        }
      }
    }
    return out;
  }

  resolveManaged(arn: string, name: string): ResolvedManaged {
    let r = this.managed.get(arn);
    if (r) return r;
    const inFile = this.policies.get(arn);
    const b = inFile ? null : builtinPolicy(arn);
    if (inFile) r = { arn, name: inFile.name, source: 'file', statements: inFile.doc.statements, builtin: null, doc: inFile.doc, inferred: null };
    else if (b) {
      const d = builtinDoc(b);
      r = { arn, name: b.name, source: 'builtin', statements: d.statements, builtin: b, doc: d, inferred: null };
    } else r = { arn, name, source: 'name', statements: [], builtin: null, doc: null, inferred: privilegeFromPolicyName(name) };
    this.managed.set(arn, r);
    return r;
  }

  privilege(st: Statement): Privilege {
    let p = this.privileges.get(st);
    if (p === undefined) {
      p = this.catalog.statementPrivilege(st);
      this.privileges.set(st, p);
    }
    return p;
  }
}

function groupKey(account: string, name: string): string {
  return `${account}\u0000${name}`;
}

/**
 * Records of one source item. Records meant to appear once per file are only claimed for the file
 * when the item builds completely, so that a rejected item cannot take them away from a later one.
 */
class ItemOut {
  readonly records: CanonicalRecord[] = [];
  private readonly claimed = new Set<string>();
  constructor(private readonly index: AuthzIndex) {}

  once(id: string): boolean {
    if (this.index.emitted.has(id) || this.claimed.has(id)) return false;
    this.claimed.add(id);
    return true;
  }

  commit(): CanonicalRecord[] {
    for (const id of this.claimed) this.index.emitted.add(id);
    return this.records;
  }
}

export function buildPolicy(p: PreparedPolicy): CanonicalRecord[] {
  const v = p.value;
  return [rec.policy({
    id: p.arn, provider: 'aws', name: p.name, kind: 'managed', document: p.doc.document,
    attributes: compact({
      path: v.Path, policyId: v.PolicyId, defaultVersionId: p.versionId, attachmentCount: v.AttachmentCount,
      permissionsBoundaryUsageCount: v.PermissionsBoundaryUsageCount, isAttachable: v.IsAttachable,
      createdAt: toIso(v.CreateDate, 'CreateDate'), updatedAt: toIso(v.UpdateDate, 'UpdateDate'),
      awsManaged: isAwsManagedPolicyArn(p.arn), documentSource: 'file',
    }),
  })];
}

export function buildPrincipal(index: AuthzIndex, p: PreparedPrincipal): CanonicalRecord[] {
  const out = new ItemOut(index);
  const unresolved: string[] = [];
  const identity = principalIdentity(p);
  out.records.push(rec.identity(identity));

  for (const i of p.inline) {
    out.records.push(rec.policy({ id: i.id, provider: 'aws', name: i.name, kind: 'inline', document: i.doc.document, attributes: { principal: p.arn } }));
    pushEntitlements(out, index, p.arn, i.id, i.doc.statements, 'direct', null);
  }
  for (const a of p.attached) attachManaged(out, index, p.arn, a.arn, a.name, 'direct', null, unresolved);
  if (p.boundary) attachManaged(out, index, p.arn, p.boundary, iamNameOf(p.boundary), 'boundary', p.boundary, unresolved);

  if (p.kind === 'user') userGroups(out, index, p, unresolved, identity.attributes as Record<string, unknown>);
  if (p.kind === 'role') roleTrustAndProfiles(out, index, p, identity);
  if (unresolved.length) (identity.attributes as Record<string, unknown>).policiesWithoutDocument = [...new Set(unresolved)];

  for (const c of ownerClaimsFromTags(p.arn, p.tags)) out.records.push(rec.ownerClaim(c));
  return out.commit();
}

function principalIdentity(p: PreparedPrincipal): IdentityInput {
  const v = p.value;
  const tags = redact(p.tags);
  const base = {
    id: p.arn, provider: 'aws' as const, name: p.name, account: p.account,
    environment: environmentOf(p.tags, p.path, p.name), status: 'active' as const,
    createdAt: toIso(v.CreateDate, 'CreateDate'), tags, origin: 'inventory' as const,
  };
  const boundary = p.boundary ? { permissionsBoundary: p.boundary } : {};
  if (p.kind === 'user') {
    const k = userKind(p.name, p.tags);
    return {
      ...base, kind: k.kind, email: p.name.includes('@') ? p.name : null,
      lastSeenAt: toIso(v.PasswordLastUsed, 'PasswordLastUsed'),
      attributes: compact({ path: p.path, userId: v.UserId, kindSource: k.source, ...boundary }),
    };
  }
  if (p.kind === 'group') return { ...base, kind: 'group', attributes: compact({ path: p.path, groupId: v.GroupId }) };
  const lastUsed = (v.RoleLastUsed ?? {}) as { LastUsedDate?: unknown; Region?: unknown };
  const sso = /^AWSReservedSSO_(.+)_[0-9a-f]+$/.exec(p.name);
  return {
    ...base, kind: 'role',
    lastSeenAt: toIso(lastUsed.LastUsedDate, 'RoleLastUsed.LastUsedDate'),
    attributes: compact({
      path: p.path, roleId: v.RoleId,
      description: typeof v.Description === 'string' && v.Description ? redactText(v.Description) : undefined,
      maxSessionDuration: v.MaxSessionDuration, lastUsedRegion: lastUsed.Region,
      serviceLinked: p.path.startsWith('/aws-service-role/') || undefined,
      ssoPermissionSet: p.path.startsWith('/aws-reserved/sso.amazonaws.com/') && sso ? sso[1] : undefined,
      ...boundary,
    }),
  };
}

function pushEntitlements(out: ItemOut, index: AuthzIndex, identityId: string, policyId: string, statements: Statement[], via: Entitlement['via'], viaId: string | null): void {
  for (const st of statements) {
    out.records.push(rec.entitlement({
      id: entitlementId(identityId, policyId, st.index, via, viaId), identityId, effect: st.effect,
      actions: st.actions, notActions: st.notActions, resources: st.resources, notResources: st.notResources,
      conditions: st.conditions, privilege: index.privilege(st), sourcePolicy: policyId, via, viaId,
    }));
  }
}

/**
 * A managed policy reaching an identity. Without a document anywhere, the entitlement says so by its
 * shape: no actions, and the privilege its name suggests; the identity lists it in
 * attributes.policiesWithoutDocument.
 */
function attachManaged(out: ItemOut, index: AuthzIndex, identityId: string, arn: string, name: string, via: Entitlement['via'], viaId: string | null, unresolved: string[]): void {
  const m = index.resolveManaged(arn, name);
  if (m.source === 'name') {
    unresolved.push(arn);
    out.records.push(rec.entitlement({
      id: entitlementId(identityId, arn, 0, via, viaId), identityId, effect: 'Allow', actions: [], resources: [],
      privilege: m.inferred!, sourcePolicy: arn, via, viaId,
    }));
    return;
  }
  if (m.source === 'builtin' && out.once(`policy:${arn}`)) {
    out.records.push(rec.policy({
      id: arn, provider: 'aws', name: m.name, kind: 'managed', document: m.doc!.document,
      attributes: { awsManaged: true, documentSource: 'builtin', abridged: m.builtin!.abridged },
      origin: 'derived',
    }));
  }
  pushEntitlements(out, index, identityId, arn, m.statements, via, viaId);
}

function userGroups(out: ItemOut, index: AuthzIndex, p: PreparedPrincipal, unresolved: string[], attributes: Record<string, unknown>): void {
  const names = p.value.GroupList;
  if (names === undefined || names === null) return;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new RecordError('GroupList: expected a list of group names');
  const missing: string[] = [];
  for (const name of names as string[]) {
    const g = index.group(p.account, name);
    const groupArn = g?.arn ?? `arn:${p.partition}:iam::${p.account}:group/${name}`;
    out.records.push(rec.edge({ from: p.arn, to: groupArn, kind: 'member_of', evidence: [p.arn], attributes: g ? {} : { groupInFile: false } }));
    if (!g) {
      missing.push(name);
      if (out.once(groupArn)) {
        out.records.push(rec.identity({ id: groupArn, kind: 'group', provider: 'aws', name, account: p.account, origin: 'derived', attributes: { groupInFile: false } }));
      }
      continue;
    }
    for (const i of g.inline) pushEntitlements(out, index, p.arn, i.id, i.doc.statements, 'group', g.arn);
    for (const a of g.attached) attachManaged(out, index, p.arn, a.arn, a.name, 'group', g.arn, unresolved);
  }
  attributes.groups = names;
  // Their path is unknown and their policies are not inherited: say so rather than guess.
  if (missing.length) attributes.groupsNotInFile = missing;
}

interface TrustLink {
  principal: TrustPrincipal;
  actions: Set<string>;
  conditions: Record<string, unknown>[];
  unconditional: boolean;
  notPrincipal: boolean;
}

function roleTrustAndProfiles(out: ItemOut, index: AuthzIndex, p: PreparedPrincipal, identity: IdentityInput): void {
  const trust = p.trust!;
  const trustId = trustPolicyId(p.arn);
  out.records.push(rec.policy({ id: trustId, provider: 'aws', name: `${p.name} trust policy`, kind: 'trust', document: trust.document, attributes: { role: p.arn } }));

  const links = new Map<string, TrustLink>();
  const unparsed: string[] = [];
  for (const st of trust.statements) {
    if (st.effect !== 'Allow') continue;
    const action = assumeAction(st);
    if (!action) continue;
    const found = trustPrincipals(st.principal);
    // Allow with NotPrincipal trusts everyone but the listed principals.
    if (st.notPrincipal !== undefined) found.principals.push(trustPrincipals('*').principals[0]);
    unparsed.push(...found.unparsed);
    for (const tp of found.principals) {
      let link = links.get(tp.id);
      if (!link) links.set(tp.id, (link = { principal: tp, actions: new Set(), conditions: [], unconditional: false, notPrincipal: false }));
      link.actions.add(action);
      if (st.notPrincipal !== undefined) link.notPrincipal = true;
      if (st.conditions) link.conditions.push(st.conditions);
      else link.unconditional = true;
    }
  }
  for (const link of links.values()) {
    const tp = link.principal;
    // Any unconditional statement makes the conditional ones moot; several conditional ones are alternatives.
    const conditions = link.unconditional ? null : link.conditions.length === 1 ? link.conditions[0] : { anyOf: link.conditions };
    const actions = [...link.actions];
    out.records.push(rec.edge({
      from: tp.id, to: p.arn, kind: 'can_assume', potential: true, conditions, evidence: [trustId],
      attributes: compact({
        action: primaryAction(actions), actions: actions.length > 1 ? actions : undefined,
        crossAccount: tp.type === 'anyone' || (tp.account !== null && tp.type !== 'federated' && tp.account !== p.account),
        federation: tp.federation, principalType: tp.type, notPrincipal: link.notPrincipal || undefined,
      }),
    }));
    if (!index.principals.has(tp.id) && out.once(tp.id)) out.records.push(rec.identity(derivedPrincipal(index, tp)));
  }
  const attrs = identity.attributes as Record<string, unknown>;
  if (unparsed.length) attrs.unparsedPrincipals = unparsed;
  attrs.trustedPrincipals = links.size;

  const profiles = p.value.InstanceProfileList;
  if (profiles === undefined || profiles === null) return;
  if (!Array.isArray(profiles)) throw new RecordError('InstanceProfileList: expected a list');
  const profileArns: string[] = [];
  for (const [i, ip] of (profiles as Array<Record<string, unknown>>).entries()) {
    if (!ip || typeof ip.Arn !== 'string' || !ip.Arn) throw new RecordError(`InstanceProfileList[${i}]: missing Arn`);
    const name = typeof ip.InstanceProfileName === 'string' && ip.InstanceProfileName ? ip.InstanceProfileName : iamNameOf(ip.Arn);
    const roles = Array.isArray(ip.Roles) ? (ip.Roles as Array<{ Arn?: unknown }>).map((r) => r?.Arn).filter((a): a is string => typeof a === 'string') : [];
    if (!roles.includes(p.arn)) roles.push(p.arn);
    profileArns.push(ip.Arn);
    const tags = tagMap(ip.Tags, `InstanceProfileList[${i}].Tags`);
    const env = environmentOf(tags, typeof ip.Path === 'string' ? ip.Path : null, name);
    if (out.once(ip.Arn)) {
      out.records.push(rec.identity({
        id: ip.Arn, kind: 'workload', provider: 'aws', name, account: parseArn(ip.Arn)?.account || p.account,
        environment: env === 'unknown' ? identity.environment : env,
        status: 'active', createdAt: toIso(ip.CreateDate, `InstanceProfileList[${i}].CreateDate`), tags: redact(tags),
        attributes: compact({ instanceProfile: true, path: ip.Path, instanceProfileId: ip.InstanceProfileId, roles }),
        origin: 'inventory',
      }));
    }
    for (const r of roles) out.records.push(rec.edge({ from: ip.Arn, to: r, kind: 'runs_as', potential: true, evidence: [ip.Arn] }));
  }
  if (profileArns.length) attrs.instanceProfiles = profileArns;
}

/** The assume action a trust statement grants, or null when it grants none (a lone sts:TagSession). */
function assumeAction(st: Statement): string | null {
  if (st.notActions.length) return 'sts:AssumeRole';
  let found: string | null = null;
  for (const a of st.actions) {
    const k = a.toLowerCase();
    if (ASSUME_ACTIONS[k]) return ASSUME_ACTIONS[k];
    if (k === '*' || k === 'sts:*' || (k.startsWith('sts:assume') && k.endsWith('*'))) found = 'sts:AssumeRole';
  }
  return found;
}

function primaryAction(actions: string[]): string {
  return actions.find((a) => a !== 'sts:AssumeRole') ?? 'sts:AssumeRole';
}

/** An identity for a principal that a trust policy names but the file does not describe. */
function derivedPrincipal(index: AuthzIndex, tp: TrustPrincipal): IdentityInput {
  const external = tp.account !== null ? !index.accounts.has(tp.account) : undefined;
  const base = { id: tp.id, provider: 'aws' as const, account: tp.account, origin: 'derived' as const };
  switch (tp.type) {
    case 'account-root':
      return { ...base, kind: 'role', name: `${tp.account} root`, attributes: { accountRoot: true, external } };
    case 'role':
      return { ...base, kind: 'role', name: iamNameOf(tp.id), attributes: { external } };
    case 'session':
      return { ...base, kind: 'role', name: iamNameOf(tp.id), attributes: { session: true, external } };
    case 'user': {
      const name = iamNameOf(tp.id);
      const k = userKind(name, {});
      return { ...base, kind: k.kind, name, attributes: { external, kindSource: k.source } };
    }
    case 'service':
      return { ...base, kind: 'service_account', name: tp.raw, attributes: { servicePrincipal: true } };
    case 'federated':
      return { ...base, kind: 'oauth_app', name: parseArn(tp.raw)?.resourceName ?? tp.raw, attributes: compact({ federation: tp.federation, external }) };
    case 'anyone':
      return { ...base, kind: 'group', name: 'anyone (*)', attributes: { anyone: true } };
    case 'unique-id':
      return { ...base, kind: 'service_account', name: tp.raw, attributes: { uniqueId: tp.raw, deletedPrincipal: true } };
  }
}
