import type { Db } from '../../store/index.js';
import type { Method } from './catalog.js';
import type { EscalationGraph } from './graph.js';

/**
 * Google Cloud principals in the escalation graph. Administrator: Owner or Editor (Editor may act as
 * every service account of its project) on a project, folder or organisation. Moves: the
 * `impersonates` edges the connector derives from Token Creator / Service Account User bindings, and
 * key creation on a project's service accounts; finish: rewriting an IAM policy to grant itself Owner.
 */
const ADMIN_ROLES = new Set(['roles/owner', 'roles/editor', 'roles/resourcemanager.organizationAdmin']);

/** Permissions of the predefined roles the methods ask about (custom roles bring their own list). */
const ROLE_PERMISSIONS: Record<string, string[]> = {
  'roles/iam.serviceAccountTokenCreator': ['iam.serviceAccounts.getAccessToken', 'iam.serviceAccounts.getOpenIdToken', 'iam.serviceAccounts.signBlob', 'iam.serviceAccounts.signJwt', 'iam.serviceAccounts.implicitDelegation'],
  'roles/iam.serviceAccountUser': ['iam.serviceAccounts.actAs'],
  'roles/iam.serviceAccountOpenIdTokenCreator': ['iam.serviceAccounts.getOpenIdToken'],
  'roles/iam.serviceAccountKeyAdmin': ['iam.serviceAccountKeys.create', 'iam.serviceAccountKeys.delete'],
  'roles/iam.serviceAccountAdmin': ['iam.serviceAccounts.setIamPolicy', 'iam.serviceAccounts.create'],
  'roles/resourcemanager.projectIamAdmin': ['resourcemanager.projects.setIamPolicy'],
  'roles/resourcemanager.folderIamAdmin': ['resourcemanager.folders.setIamPolicy'],
  'roles/resourcemanager.folderAdmin': ['resourcemanager.folders.setIamPolicy'],
  'roles/iam.securityAdmin': ['resourcemanager.projects.setIamPolicy', 'resourcemanager.folders.setIamPolicy', 'resourcemanager.organizations.setIamPolicy', 'iam.serviceAccountKeys.create'],
};

/** Permissions that rewrite who can do what on a project, folder or organisation. */
const SET_POLICY = /^resourcemanager\.(projects|folders|organizations)\.setIamPolicy$/;

interface Binding {
  identity: string;
  role: string;
  resource: string;
  conditional: boolean;
  policy: string;
}

export async function addGcp(db: Db, graph: EscalationGraph, methods: Method[]): Promise<void> {
  const gcp = methods.filter((m) => m.provider === 'gcp');
  const ids = await db.query(`SELECT id, name, kind, account FROM identities WHERE provider = 'gcp'`);
  if (!ids.length) return;
  const rows = await db.query(
    `SELECT e.identity_id, e.actions, e.resources, e.conditions, e.source_policy FROM entitlements e
     JOIN identities i ON i.id = e.identity_id WHERE i.provider = 'gcp' AND e.via = 'role_binding'`);
  const custom = new Map<string, string[]>();
  for (const r of await db.query(`SELECT id, document FROM policies WHERE provider = 'gcp' AND kind = 'role'`)) {
    const perms = (r.document as { includedPermissions?: unknown })?.includedPermissions;
    if (Array.isArray(perms)) custom.set(r.id, perms.filter((p): p is string => typeof p === 'string'));
  }
  const edges = await db.query(`SELECT from_id, to_id, conditions, evidence, attributes FROM edges WHERE kind = 'impersonates' AND potential AND from_id LIKE 'gcp:%'`);

  const accountsByProject = new Map<string, string[]>();
  for (const r of ids) {
    graph.addNode({ id: r.id, name: r.name, provider: 'gcp', kind: r.kind, principal: r.kind !== 'group' });
    if (r.kind === 'service_account' && r.account) {
      const l = accountsByProject.get(r.account) ?? [];
      l.push(r.id);
      accountsByProject.set(r.account, l);
    }
  }
  const bindings: Binding[] = rows.map((r) => ({
    identity: r.identity_id, role: (r.actions as string[])[0] ?? '', resource: (r.resources as string[])[0] ?? '',
    conditional: r.conditions !== null && r.conditions !== undefined, policy: r.source_policy,
  }));
  const permsOf = (role: string): string[] => custom.get(role) ?? ROLE_PERMISSIONS[role] ?? [];
  for (const b of bindings) {
    if (ADMIN_ROLES.has(b.role) && /\/\/cloudresourcemanager\.googleapis\.com\/(projects|folders|organizations)\//.test(b.resource) && !b.conditional) graph.addAdmin(b.identity);
  }
  const byMethod = (y: Method['yields']) => gcp.filter((m) => m.yields === y);
  for (const b of bindings) {
    if (graph.admins.has(b.identity)) continue;
    const perms = permsOf(b.role);
    const onContainer = /\/\/cloudresourcemanager\.googleapis\.com\/(projects|folders|organizations)\//.test(b.resource);
    for (const m of byMethod('gcp_admin')) {
      if (!onContainer || !perms.some((p) => SET_POLICY.test(p) || m.requires.includes(p))) continue;
      graph.addFinish({ from: b.identity, to: b.identity, via: m.id, actions: [b.role, ...perms.filter((p) => SET_POLICY.test(p))], gains: 'admin', conditional: b.conditional, evidence: [b.policy] });
    }
    for (const m of byMethod('gcp_project_serviceaccounts')) {
      if (!m.requires.every((r) => perms.includes(r))) continue;
      const project = /\/projects\/([^/]+)$/.exec(b.resource)?.[1];
      for (const sa of project ? accountsByProject.get(project) ?? [] : []) {
        if (sa !== b.identity) graph.addMove({ from: b.identity, to: sa, via: m.id, actions: [b.role, ...m.requires], gains: 'identity', conditional: b.conditional, evidence: [b.policy] });
      }
    }
  }
  const impersonate = byMethod('gcp_impersonate')[0];
  if (!impersonate) return;
  for (const e of edges) {
    const role = ((e.attributes ?? {}) as { role?: string }).role ?? '';
    graph.addMove({
      from: e.from_id, to: e.to_id, via: impersonate.id, actions: [role, ...permsOf(role)], gains: 'identity',
      conditional: e.conditions !== null && e.conditions !== undefined, evidence: Array.isArray(e.evidence) ? e.evidence : [],
    });
  }
}
