import { rec } from '../contract.js';
import { fingerprint, redact, shortHash } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, CredentialStatus } from '../../model/index.js';
import { gcpIds, principalFromEmail, principalFromMember, type GcpPrincipal } from '../gcp-common/principals.js';
import { IMPERSONATION_ROLES, WORKLOAD_IDENTITY_ROLE, rolePrivilege } from '../gcp-common/roles.js';
import { isObj, str, type Entry, type Obj } from './route.js';

const SA_IN_RESOURCE = /(?:^|\/)projects\/([^/]+)\/serviceAccounts\/([^/]+)$/;
const PROJECT_IN_RESOURCE = /(?:^|\/)projects\/([^/]+)(?:\/|$)/;
const KEY_PARTS = /^projects\/([^/]+)\/serviceAccounts\/([^/]+)\/keys\/([^/]+)$/;
/** GCP writes "never expires" as the end of year 9999. */
const NEVER = 9000;

/** What one file says about the whole, gathered before mapping: bindings refer to accounts by unique id. */
export interface Index {
  emailByUniqueId: Map<string, string>;
  accountsByProject: Map<string, Set<string>>;
  permissionsByRole: Map<string, string[]>;
  githubPools: Set<string>;
  now: Date;
}

export function newIndex(now: Date): Index {
  return { emailByUniqueId: new Map(), accountsByProject: new Map(), permissionsByRole: new Map(), githubPools: new Set(), now };
}

export function indexEntry(e: Entry, ix: Index): void {
  if (e.type === 'serviceAccount') {
    const email = str(e.value.email)?.toLowerCase();
    if (!email) return;
    const uid = str(e.value.uniqueId);
    if (uid) ix.emailByUniqueId.set(uid, email);
    const project = str(e.value.projectId) ?? /@([^.]+)\.iam\.gserviceaccount\.com$/.exec(email)?.[1];
    if (project) {
      if (!ix.accountsByProject.has(project)) ix.accountsByProject.set(project, new Set());
      ix.accountsByProject.get(project)!.add(email);
    }
  } else if (e.type === 'role') {
    const perms = e.value.includedPermissions;
    if (Array.isArray(perms)) ix.permissionsByRole.set(str(e.value.name)!, perms.filter((p): p is string => typeof p === 'string'));
  } else if (e.type === 'provider') {
    const oidc = isObj(e.value.oidc) ? e.value.oidc : null;
    const issuer = oidc ? str(oidc.issuerUri) : null;
    const name = str(e.value.name) ?? '';
    const pool = /workloadIdentityPools\/([^/]+)/.exec(name)?.[1];
    if (pool && issuer?.includes('token.actions.githubusercontent.com')) ix.githubPools.add(pool);
  }
}

/** A service account's email from an email or unique id, or null when the file never names it. */
function accountEmail(idOrEmail: string, ix: Index): string | null {
  if (idOrEmail.includes('@')) return idOrEmail.toLowerCase();
  return ix.emailByUniqueId.get(idOrEmail) ?? null;
}

function accountId(idOrEmail: string, ix: Index): string {
  const email = accountEmail(idOrEmail, ix);
  return email ? gcpIds.serviceAccount(email) : `gcp:sa-uid:${idOrEmail}`;
}

export function mapServiceAccount(v: Obj): CanonicalRecord[] {
  const email = str(v.email)!.toLowerCase();
  const p = principalFromEmail(email);
  return [rec.identity({
    id: p.id, kind: 'service_account', provider: 'gcp', name: str(v.displayName) ?? p.name, email,
    account: str(v.projectId) ?? p.account, status: v.disabled === true ? 'disabled' : 'active',
    attributes: {
      ...p.attributes, uniqueId: str(v.uniqueId), oauth2ClientId: str(v.oauth2ClientId), description: str(v.description),
      displayName: str(v.displayName), resourceName: str(v.name),
    },
  })];
}

export function mapKey(v: Obj, name: string, ix: Index): CanonicalRecord[] {
  const m = KEY_PARTS.exec(name);
  if (!m) throw new Error(`name: "${name}" is not a service account key name`);
  const email = accountEmail(m[2], ix);
  if (!email) throw new Error(`name: cannot tell the service account of key ${m[3]} (unique id ${m[2]} is not in the file)`);
  const sa = gcpIds.serviceAccount(email);
  const id = gcpIds.key(`projects/${m[1]}/serviceAccounts/${email}/keys/${m[3]}`);
  const createdAt = toIso(v.validAfterTime, 'validAfterTime');
  const before = toIso(v.validBeforeTime, 'validBeforeTime');
  const neverExpires = before !== null && new Date(before).getUTCFullYear() >= NEVER;
  const expiresAt = neverExpires ? null : before;
  const keyType = str(v.keyType);
  let status: CredentialStatus = 'active';
  if (v.disabled === true) status = 'inactive';
  else if (expiresAt && new Date(expiresAt) < ix.now) status = 'expired';
  return [
    rec.identity({ id: sa, kind: 'service_account', provider: 'gcp', name: email.split('@')[0], email, account: m[1] === '-' ? null : m[1], origin: 'derived' }),
    rec.credential({
      id, identityId: sa, type: 'service_account_key', fingerprint: fingerprint(id), createdAt, expiresAt, status,
      attributes: {
        keyId: m[3], keyType, keyOrigin: str(v.keyOrigin), keyAlgorithm: str(v.keyAlgorithm), neverExpires,
        // Google rotates its own keys and never hands them out: only user-managed keys can leak.
        managedBy: keyType === 'SYSTEM_MANAGED' ? 'google' : keyType === 'USER_MANAGED' ? 'user' : null,
      },
    }),
    rec.edge({ from: sa, to: id, kind: 'owns_credential', evidence: [id] }),
  ];
}

export function mapRole(v: Obj, ix: Index): CanonicalRecord[] {
  const name = str(v.name)!;
  const perms = ix.permissionsByRole.get(name) ?? [];
  return [rec.policy({
    id: name, provider: 'gcp', name: str(v.title) ?? name, kind: 'role',
    document: { includedPermissions: perms, stage: str(v.stage), description: str(v.description) },
    attributes: { deleted: v.deleted === true, custom: !name.startsWith('roles/'), privilege: rolePrivilege(name, perms) },
  })];
}

/** `//service.googleapis.com/...` for any resource, so that the same resource has one id. */
export function fullResourceName(resource: string): string {
  if (resource.startsWith('//')) return resource;
  if (/^projects\/[^/]+\/serviceAccounts\//.test(resource)) return `//iam.googleapis.com/${resource}`;
  if (/^(?:projects|folders|organizations)\/[^/]+$/.test(resource)) return `//cloudresourcemanager.googleapis.com/${resource}`;
  return resource;
}

/**
 * One IAM policy as items: one per binding, each binding's members as identities with an
 * entitlement; impersonation roles become `impersonates` edges to the service account the policy
 * is on (or, on a project, to every service account of that project the file lists);
 * roles/iam.workloadIdentityUser becomes `federates_to` from the external identity to the account.
 */
export function mapPolicy(resource: string, policy: Obj, ix: Index): CanonicalRecord[][] {
  const full = fullResourceName(resource);
  const policyId = gcpIds.policy(full);
  const bindings = Array.isArray(policy.bindings) ? policy.bindings : [];
  const unread: string[] = [];
  const saMatch = SA_IN_RESOURCE.exec(full);
  const targetSa = saMatch ? accountId(saMatch[2], ix) : null;
  const project = PROJECT_IN_RESOURCE.exec(full)?.[1] ?? null;
  const items: CanonicalRecord[][] = [];

  bindings.forEach((b, bi) => {
    if (!isObj(b)) throw new Error(`bindings[${bi}] is not an object`);
    const role = str(b.role);
    if (!role) throw new Error(`bindings[${bi}]: missing role`);
    const members = Array.isArray(b.members) ? b.members.filter((m): m is string => typeof m === 'string') : [];
    const condition = isObj(b.condition) ? b.condition : null;
    const privilege = rolePrivilege(role, ix.permissionsByRole.get(role));
    const out: CanonicalRecord[] = [];
    for (const member of members) {
      const p = principalFromMember(member, ix.githubPools);
      if (!p) {
        unread.push(member);
        continue;
      }
      out.push(identityOf(p));
      out.push(rec.entitlement({
        id: `ent:${shortHash(`${p.id}\u0000${policyId}\u0000${bi}\u0000role_binding\u0000${role}`, 24)}`,
        identityId: p.id, effect: 'Allow', actions: [role], resources: [full], conditions: condition, privilege,
        sourcePolicy: policyId, via: 'role_binding', viaId: role,
      }));
      if (IMPERSONATION_ROLES.has(role)) {
        const targets = targetSa ? [targetSa] : project && !saMatch ? [...(ix.accountsByProject.get(project) ?? [])].map(gcpIds.serviceAccount) : [];
        for (const t of targets) {
          if (t === p.id) continue;
          out.push(rec.edge({
            from: p.id, to: t, kind: 'impersonates', conditions: condition, evidence: [policyId],
            attributes: { role, grantedOn: targetSa ? 'service_account' : 'project' },
          }));
        }
      }
      if (role === WORKLOAD_IDENTITY_ROLE && targetSa) {
        const conditions = { ...federationConditions(p), ...(condition ? { condition } : {}) };
        out.push(rec.edge({ from: p.id, to: targetSa, kind: 'federates_to', conditions, evidence: [policyId], attributes: { role, member } }));
      }
    }
    if (targetSa && out.length) out.push(rec.identity(saStub(targetSa)));
    items.push(out);
  });

  const policyRecord = rec.policy({
    id: policyId, provider: 'gcp', name: full, kind: 'resource', document: redact(policy),
    attributes: { resource: full, bindings: bindings.length, ...(unread.length ? { unrecognisedMembers: unread } : {}) },
  });
  if (items.length) items[0].unshift(policyRecord);
  else items.push([policyRecord]);
  return items;
}

function federationConditions(p: GcpPrincipal): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['sub', 'pool', 'attribute', 'kubernetesUsername', 'workloadPool']) if (p.attributes[k] !== undefined) out[k] = p.attributes[k];
  return out;
}

function saStub(id: string) {
  const email = id.startsWith('gcp:sa:') ? id.slice('gcp:sa:'.length) : null;
  return {
    id, kind: 'service_account' as const, provider: 'gcp' as const, name: email ? email.split('@')[0] : id.slice(id.lastIndexOf(':') + 1), email,
    origin: 'derived' as const, attributes: email ? {} : { uniqueId: id.slice('gcp:sa-uid:'.length) },
  };
}

function identityOf(p: GcpPrincipal): CanonicalRecord {
  return rec.identity({ id: p.id, kind: p.kind, provider: p.provider, name: p.name, email: p.email, account: p.account, origin: 'derived', attributes: p.attributes });
}

export function mapPool(v: Obj): CanonicalRecord[] {
  const name = str(v.name)!;
  return [rec.resource({
    id: `gcp:wif-pool:${name}`, provider: 'gcp', type: 'workload_identity_pool', name: str(v.displayName) ?? name,
    attributes: { resourceName: name, state: str(v.state), disabled: v.disabled === true, description: str(v.description) },
  })];
}

/** A workload identity provider trusts an external issuer: the GCP twin of an AWS OIDC provider. */
export function mapProvider(v: Obj): CanonicalRecord[] {
  const name = str(v.name)!;
  const oidc = isObj(v.oidc) ? v.oidc : null;
  const aws = isObj(v.aws) ? v.aws : null;
  return [rec.identity({
    id: `gcp:wif-provider:${name}`, kind: 'oauth_app', provider: 'gcp', name: str(v.displayName) ?? name,
    account: /projects\/([^/]+)/.exec(name)?.[1] ?? null, status: v.disabled === true || str(v.state) === 'DELETED' ? 'disabled' : 'active',
    attributes: {
      federation: oidc ? 'oidc' : aws ? 'aws' : isObj(v.saml) ? 'saml' : null, issuer: oidc ? str(oidc.issuerUri) : null,
      allowedAudiences: oidc?.allowedAudiences ?? null, awsAccount: aws ? str(aws.accountId) : null,
      attributeCondition: str(v.attributeCondition), attributeMapping: isObj(v.attributeMapping) ? v.attributeMapping : null,
    },
  })];
}

/** API keys are project credentials that belong to no principal: an api_key identity holding itself. */
export function mapApiKey(v: Obj): CanonicalRecord[] {
  const name = str(v.name)!;
  const id = `gcp:api-key:${name}`;
  const restrictions = isObj(v.restrictions) ? v.restrictions : null;
  return [
    rec.identity({
      id, kind: 'api_key', provider: 'gcp', name: str(v.displayName) ?? name, account: /projects\/([^/]+)/.exec(name)?.[1] ?? null,
      status: v.deleteTime ? 'deleted' : 'active', createdAt: toIso(v.createTime, 'createTime'),
      attributes: { uid: str(v.uid), restricted: restrictions !== null, restrictions: restrictions ? redact(restrictions) : null },
    }),
    rec.credential({
      id, identityId: id, type: 'api_token', fingerprint: fingerprint(str(v.keyString) ?? id), createdAt: toIso(v.createTime, 'createTime'),
      status: v.deleteTime ? 'revoked' : 'active', attributes: { restricted: restrictions !== null },
    }),
  ];
}

/** Any other Cloud Asset Inventory asset: a resource identities may reach. */
export function mapAsset(name: string, assetType: string, data: Obj): CanonicalRecord[] {
  if (!name) throw new Error('missing name');
  return [rec.resource({
    id: name, provider: 'gcp', type: assetType, name: str(data.name) ?? name.slice(name.lastIndexOf('/') + 1),
    account: PROJECT_IN_RESOURCE.exec(name)?.[1] ?? null, attributes: { status: str(data.status) ?? str(data.state) },
  })];
}
