import { rec } from '../contract.js';
import { fingerprint, shortHash } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, CredentialStatus, IdentityKind, Privilege } from '../../model/index.js';
import { githubIds, repoFromUrl } from '../github-common/ids.js';
import { permissionPrivilege, scopePrivilege } from '../github-common/permissions.js';
import { oidcTrustsOf } from './workflow-oidc.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

/** What a bundle says about the objects around a record: the org or repository its API path names. */
export interface Context {
  org: string | null;
  repo: string | null;
  /** Org members listed with `?role=admin`. */
  role: string | null;
  /** `sub` claim templates by repository (`/repos/o/r/actions/oidc/customization/sub`) and by org. */
  claimKeys: Map<string, string[]>;
  /** Fine-grained token grant id -> repositories it was granted (`/orgs/o/personal-access-tokens/{id}/repositories`). */
  patRepos: Map<string, string[]>;
  now: Date;
}

function entitlement(identityId: string, policy: string, i: number, actions: string[], resources: string[], privilege: Privilege, via: 'direct' | 'grant' = 'grant', viaId: string | null = null): CanonicalRecord {
  return rec.entitlement({
    id: `ent:${shortHash(`${identityId}\u0000${policy}\u0000${i}\u0000${via}\u0000${viaId ?? ''}`, 24)}`,
    identityId, effect: 'Allow', actions, resources, privilege, sourcePolicy: policy, via, viaId,
  });
}

function known(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  return out;
}

function orgStub(org: string): CanonicalRecord {
  return rec.identity({ id: githubIds.org(org), kind: 'group', provider: 'github', name: org, account: org.toLowerCase(), origin: 'derived', attributes: { login: org } });
}

function userStub(login: string, org: string | null): CanonicalRecord {
  return rec.identity({ id: githubIds.user(login), kind: 'human', provider: 'github', name: login, account: org?.toLowerCase() ?? null, origin: 'derived', attributes: { login } });
}

/** An org member: REST user, membership, or GraphQL `membersWithRole` edge (with emails and 2FA). */
export function mapMember(v: Obj, ctx: Context, extra: { role?: string | null; org?: string | null; twoFactor?: boolean | null; saml?: Obj | null } = {}): CanonicalRecord[] {
  const login = str(v.login);
  if (!login) throw new Error('missing login');
  const org = extra.org ?? ctx.org;
  const role = (extra.role ?? ctx.role)?.toLowerCase() ?? null;
  const verified = Array.isArray(v.organizationVerifiedDomainEmails) ? v.organizationVerifiedDomainEmails.filter((e): e is string => typeof e === 'string') : [];
  const samlNameId = extra.saml ? str(extra.saml.nameId) : null;
  const email = verified[0] ?? str(v.email) ?? (samlNameId?.includes('@') ? samlNameId : null);
  const type = str(v.type);
  const kind: IdentityKind = type === 'Bot' ? 'bot' : 'human';
  const id = githubIds.user(login);
  const out: CanonicalRecord[] = [rec.identity({
    id, kind, provider: 'github', name: str(v.name) ?? login, email: email?.toLowerCase() ?? null, account: org?.toLowerCase() ?? null, status: 'active',
    // Only what this listing knows: a plain member list must not erase the role an admin list stated.
    attributes: known({
      login, githubId: str(v.id) ?? str(v.databaseId), role, siteAdmin: v.site_admin === true || v.isSiteAdmin === true || null,
      twoFactor: extra.twoFactor ?? null, emails: [...new Set([...verified, ...(str(v.email) ? [str(v.email)!] : [])].map((e) => e.toLowerCase()))],
      company: str(v.company), samlNameId, samlUsername: extra.saml ? str(extra.saml.username) : null,
    }),
  })];
  // Outside collaborators reach repositories, not the org: no membership.
  if (org && role !== 'outside_collaborator') {
    out.push(orgStub(org), rec.edge({ from: id, to: githubIds.org(org), kind: 'member_of', attributes: { role } }));
    if (role === 'admin') out.push(entitlement(id, githubIds.org(org), 0, ['org:admin'], [githubIds.org(org)], 'admin', 'direct'));
  }
  return out;
}

/** A GitHub App installation: the identity holding the app's permissions in the org. */
export function mapInstallation(v: Obj, ctx: Context): CanonicalRecord[] {
  const instId = str(v.id);
  const slug = str(v.app_slug);
  if (!instId) throw new Error('missing id');
  if (!slug) throw new Error('missing app_slug');
  const account = isObj(v.account) ? str(v.account.login) : null;
  const org = account ?? ctx.org;
  const id = githubIds.installation(instId);
  const app = githubIds.app(slug);
  const permissions = isObj(v.permissions) ? v.permissions : {};
  const selection = str(v.repository_selection);
  const scope = org ? (selection === 'all' ? [`${githubIds.org(org)}/*`] : [`${githubIds.org(org)}/selected`]) : ['github:*'];
  const suspended = v.suspended_at !== null && v.suspended_at !== undefined;
  const out: CanonicalRecord[] = [
    rec.identity({ id: app, kind: 'oauth_app', provider: 'github', name: slug, origin: 'derived', attributes: { appId: str(v.app_id), slug } }),
    rec.identity({
      id, kind: 'service_account', provider: 'github', name: `${slug}${org ? ` on ${org}` : ''}`, account: org?.toLowerCase() ?? null,
      status: suspended ? 'suspended' : 'active', createdAt: toIso(v.created_at, 'created_at'), autonomy: 'full',
      attributes: { appId: str(v.app_id), appSlug: slug, repositorySelection: selection, permissions, events: Array.isArray(v.events) ? v.events : [], targetType: str(v.target_type), suspendedBy: isObj(v.suspended_by) ? str(v.suspended_by.login) : null },
    }),
    // Whoever holds the app's private key can mint this installation's tokens.
    rec.edge({ from: app, to: id, kind: 'can_assume', evidence: [id] }),
  ];
  if (org) out.push(orgStub(org));
  Object.entries(permissions).forEach(([perm, level], i) => {
    if (typeof level !== 'string') return;
    out.push(entitlement(id, id, i, [`${perm}:${level}`], scope, permissionPrivilege(perm, level)));
  });
  return out;
}

/** A fine-grained personal access token granted to the org (`GET /orgs/{org}/personal-access-tokens`). */
export function mapPatGrant(v: Obj, ctx: Context): CanonicalRecord[] {
  const tokenId = str(v.token_id);
  if (!tokenId) throw new Error('missing token_id');
  const owner = isObj(v.owner) ? str(v.owner.login) : null;
  if (!owner) throw new Error('missing owner.login');
  const grantId = str(v.id);
  const org = ctx.org ?? null;
  const id = githubIds.pat(tokenId);
  const userId = githubIds.user(owner);
  const expiresAt = toIso(v.token_expires_at, 'token_expires_at');
  const status: CredentialStatus = v.token_expired === true || (expiresAt && new Date(expiresAt) < ctx.now) ? 'expired' : 'active';
  const selection = str(v.repository_selection);
  const repos = (grantId ? ctx.patRepos.get(grantId) : undefined) ?? [];
  const repoScope = selection === 'all' ? [org ? `${githubIds.org(org)}/*` : 'github:*'] : repos.length ? repos.map(githubIds.repo) : [org ? `${githubIds.org(org)}/selected` : 'github:selected'];
  const out: CanonicalRecord[] = [
    userStub(owner, org),
    rec.identity({
      id, kind: 'api_key', provider: 'github', name: str(v.token_name) ?? `token ${tokenId}`, account: org?.toLowerCase() ?? null,
      status: status === 'expired' ? 'inactive' : 'active', createdAt: toIso(v.access_granted_at, 'access_granted_at'), lastSeenAt: toIso(v.token_last_used_at, 'token_last_used_at'),
      attributes: { fineGrained: true, grantId, owner, repositorySelection: selection, repositories: repos, permissions: v.permissions ?? null },
    }),
    rec.credential({
      id, identityId: userId, type: 'personal_access_token', fingerprint: fingerprint(id), createdAt: toIso(v.access_granted_at, 'access_granted_at'),
      lastUsedAt: toIso(v.token_last_used_at, 'token_last_used_at'), expiresAt, status, attributes: { fineGrained: true, grantId, tokenName: str(v.token_name) },
    }),
    rec.edge({ from: userId, to: id, kind: 'owns_credential', evidence: [id] }),
  ];
  const perms = isObj(v.permissions) ? v.permissions : {};
  let i = 0;
  for (const [group, set] of Object.entries(perms)) {
    if (!isObj(set)) continue;
    const resources = group === 'repository' ? repoScope : group === 'organization' && org ? [githubIds.org(org)] : [`github:${group}`];
    for (const [perm, level] of Object.entries(set)) {
      if (typeof level === 'string') out.push(entitlement(id, id, i++, [`${perm}:${level}`], resources, permissionPrivilege(perm, level)));
    }
  }
  return out;
}

/**
 * A credential authorized for SAML SSO (`GET /orgs/{org}/credential-authorizations`): classic personal
 * access tokens with their scopes, SSH keys. `token_last_eight` is part of the secret and is not kept.
 */
export function mapCredentialAuthorization(v: Obj, ctx: Context): CanonicalRecord[] {
  const login = str(v.login);
  if (!login) throw new Error('missing login');
  const credId = str(v.credential_id);
  if (!credId) throw new Error('missing credential_id');
  const type = (str(v.credential_type) ?? '').toLowerCase();
  const userId = githubIds.user(login);
  const expiresAt = toIso(v.authorized_credential_expires_at, 'authorized_credential_expires_at');
  const common = {
    createdAt: toIso(v.credential_authorized_at, 'credential_authorized_at'), lastUsedAt: toIso(v.credential_accessed_at, 'credential_accessed_at'), expiresAt,
    status: (expiresAt && new Date(expiresAt) < ctx.now ? 'expired' : 'active') as CredentialStatus,
  };
  const out: CanonicalRecord[] = [userStub(login, ctx.org)];
  const scopes = Array.isArray(v.scopes) ? v.scopes.filter((s): s is string => typeof s === 'string') : [];
  if (type.includes('ssh')) {
    const id = githubIds.sshKey(credId);
    out.push(
      rec.credential({ id, identityId: userId, type: 'ssh_key', fingerprint: str(v.fingerprint) ? fingerprint(str(v.fingerprint)!) : fingerprint(id), ...common, attributes: { samlAuthorized: true, title: str(v.authorized_credential_title) } }),
      rec.edge({ from: userId, to: id, kind: 'owns_credential', evidence: [id] }),
    );
    return out;
  }
  const pat = type.includes('personal access token');
  const id = pat ? githubIds.pat(credId) : githubIds.token(credId);
  out.push(
    rec.identity({
      id, kind: 'api_key', provider: 'github', name: str(v.authorized_credential_note) ?? `${pat ? 'classic token' : 'token'} ${credId}`, account: ctx.org?.toLowerCase() ?? null,
      status: common.status === 'expired' ? 'inactive' : 'active', createdAt: common.createdAt, lastSeenAt: common.lastUsedAt,
      attributes: { classic: pat, credentialType: str(v.credential_type), owner: login, scopes, samlAuthorized: true },
    }),
    rec.credential({ id, identityId: userId, type: pat ? 'personal_access_token' : 'api_token', fingerprint: fingerprint(id), ...common, attributes: { classic: pat, scopes } }),
    rec.edge({ from: userId, to: id, kind: 'owns_credential', evidence: [id] }),
  );
  const resources = ctx.org ? [`${githubIds.org(ctx.org)}/*`] : ['github:*'];
  scopes.forEach((s, i) => out.push(entitlement(id, id, i, [`scope:${s}`], resources, scopePrivilege(s))));
  return out;
}

/** A deploy key (`GET /repos/{owner}/{repo}/keys`): an SSH key that is its own identity on one repository. */
export function mapDeployKey(v: Obj, ctx: Context): CanonicalRecord[] {
  const keyId = str(v.id);
  if (!keyId) throw new Error('missing id');
  const repo = repoFromUrl(str(v.url)) ?? ctx.repo;
  if (!repo) throw new Error('missing url (the repository of the key)');
  const id = githubIds.deployKey(repo, keyId);
  const readOnly = v.read_only !== false;
  const repoId = githubIds.repo(repo);
  const enabled = v.enabled !== false;
  const out: CanonicalRecord[] = [
    rec.identity({
      id, kind: 'api_key', provider: 'github', name: str(v.title) ?? `deploy key ${keyId}`, account: repo.split('/')[0].toLowerCase(),
      status: enabled ? 'active' : 'disabled', createdAt: toIso(v.created_at, 'created_at'), lastSeenAt: toIso(v.last_used, 'last_used'),
      attributes: { repository: repo, readOnly, verified: v.verified === true, addedBy: str(v.added_by) },
    }),
    // The public key identifies the key; its fingerprint is enough to match it elsewhere.
    rec.credential({
      id, identityId: id, type: 'deploy_key', fingerprint: fingerprint(str(v.key) ?? id), createdAt: toIso(v.created_at, 'created_at'),
      lastUsedAt: toIso(v.last_used, 'last_used'), status: enabled ? 'active' : 'inactive', attributes: { readOnly, repository: repo },
    }),
    rec.resource({ id: repoId, provider: 'github', type: 'repository', name: repo, account: repo.split('/')[0].toLowerCase() }),
    rec.edge({ from: id, to: repoId, kind: 'can_access', evidence: [id], attributes: { access: readOnly ? 'read' : 'write' } }),
    entitlement(id, id, 0, [readOnly ? 'contents:read' : 'contents:write'], [repoId], readOnly ? 'read' : 'write', 'direct'),
  ];
  const addedBy = str(v.added_by);
  if (addedBy) {
    out.push(userStub(addedBy, null), rec.edge({ from: githubIds.user(addedBy), to: id, kind: 'created', evidence: [id] }));
    out.push(rec.ownerClaim({ target: id, ref: githubIds.user(addedBy), refType: 'identity', source: 'creator', confidence: 0.5, evidence: [id] }));
  }
  return out;
}

/**
 * A workflow file (contents API response, base64): the repository's workflows as a workload identity
 * and, for each cloud identity a job asks for with its OIDC token, a `federates_to` edge whose
 * conditions hold the `sub` claims the cloud side must accept.
 */
export function mapWorkflowFile(v: Obj, ctx: Context): CanonicalRecord[] {
  const path = str(v.path);
  if (!path) throw new Error('missing path');
  const repo = repoFromUrl(str(v.url)) ?? repoFromUrl(str(v.html_url)) ?? ctx.repo;
  if (!repo) throw new Error('missing url (the repository of the workflow)');
  const content = str(v.content);
  if (!content) throw new Error('missing content');
  const text = (str(v.encoding) ?? 'base64') === 'base64' ? Buffer.from(content, 'base64').toString('utf8') : content;
  const r = repo.toLowerCase();
  const claimKeys = ctx.claimKeys.get(r) ?? ctx.claimKeys.get(r.split('/')[0]) ?? null;
  let trusts;
  try {
    trusts = oidcTrustsOf(text, r, claimKeys);
  } catch (e) {
    throw new Error(`content: ${(e as Error).message.split('\n')[0]}`);
  }
  const wf = githubIds.workflow(r);
  const evidence = `github:workflow-file:${r}/${path}`;
  const out: CanonicalRecord[] = [
    rec.identity({ id: wf, kind: 'workload', provider: 'github', name: `${repo} workflows`, account: r.split('/')[0], autonomy: 'full', attributes: { repository: repo } }),
  ];
  for (const t of trusts) {
    out.push(
      rec.identity({ id: t.to, kind: t.toKind, provider: t.toProvider, name: t.toName, email: t.toEmail, origin: 'derived' }),
      rec.edge({
        from: wf, to: t.to, kind: 'federates_to', evidence: [evidence],
        conditions: { 'token.actions.githubusercontent.com:sub': t.subs, audience: t.audience, ...(t.via ? { via: t.via } : {}) },
        attributes: { workflow: path, job: t.job, action: t.action, environment: t.environment },
      }),
    );
  }
  return out;
}

/** GraphQL `organization { membersWithRole, samlIdentityProvider }`: members with roles, 2FA and SAML ids. */
export function mapGraphqlOrganization(o: Obj, ctx: Context): CanonicalRecord[][] {
  const org = str(o.login) ?? ctx.org;
  const saml = new Map<string, Obj>();
  const idp = isObj(o.samlIdentityProvider) ? o.samlIdentityProvider : null;
  const ext = idp && isObj(idp.externalIdentities) && Array.isArray(idp.externalIdentities.edges) ? idp.externalIdentities.edges : [];
  for (const e of ext) {
    const node = isObj(e) && isObj(e.node) ? e.node : null;
    const user = node && isObj(node.user) ? str(node.user.login) : null;
    if (user && node && isObj(node.samlIdentity)) saml.set(user.toLowerCase(), node.samlIdentity);
  }
  const members = isObj(o.membersWithRole) && Array.isArray(o.membersWithRole.edges) ? o.membersWithRole.edges : [];
  return members.map((e) => {
    if (!isObj(e) || !isObj(e.node)) throw new Error('membersWithRole edge without node');
    const login = str(e.node.login) ?? '';
    return mapMember(e.node, ctx, { org, role: str(e.role), twoFactor: typeof e.hasTwoFactorEnabled === 'boolean' ? e.hasTwoFactorEnabled : null, saml: saml.get(login.toLowerCase()) ?? null });
  });
}

export function mapTeamMember(v: Obj, ctx: Context, team: string): CanonicalRecord[] {
  const login = str(v.login);
  if (!login || !ctx.org) throw new Error('missing login');
  const teamId = githubIds.team(ctx.org, team);
  return [
    userStub(login, ctx.org),
    rec.identity({ id: teamId, kind: 'group', provider: 'github', name: `${ctx.org}/${team}`, account: ctx.org.toLowerCase(), origin: 'derived' }),
    rec.edge({ from: githubIds.user(login), to: teamId, kind: 'member_of' }),
  ];
}

