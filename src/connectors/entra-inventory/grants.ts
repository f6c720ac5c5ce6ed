import { rec } from '../contract.js';
import { RecordError } from '../../lib/errors.js';
import { shortHash } from '../../lib/secrets.js';
import type { CanonicalRecord, EdgeKind, Privilege } from '../../model/index.js';
import { entraId, gobj, gp, gs } from '../shared/graph.js';
import { compact, need, principalId } from './principals.js';

type Obj = Record<string, unknown>;

/** One permission edge a grant or app-role assignment states, before same-edge grants are merged. */
export interface PermissionEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** The attribute that collects values across grants of the same edge (`scopes`, `appRoles`). */
  field: string;
  values: string[];
  attributes: Obj;
}

/** Values per edge over the whole file: one user's grants to one app for several APIs are one edge. */
export type EdgeValues = Map<string, Map<string, Set<string>>>;

export function edgeKeyOf(e: { from: string; kind: string; to: string }): string {
  return `${e.from}|${e.kind}|${e.to}`;
}

/**
 * oauth2PermissionGrant: delegated consent. A person's own consent (`Principal`) is `granted`
 * person -> client (the client acts with the person's rights, for these scopes); admin consent for
 * everyone (`AllPrincipals`) is `can_access` client -> the API's service principal.
 */
export function oauth2GrantEdge(v: Obj): PermissionEdge {
  const clientId = need(v, 'clientId');
  const resourceId = need(v, 'resourceId');
  const consentType = gs(v, 'consentType') ?? 'Principal';
  const scopes = (gs(v, 'scope') ?? '').split(/\s+/).filter(Boolean);
  const client = entraId.sp(clientId);
  const resource = entraId.sp(resourceId);
  if (consentType === 'AllPrincipals') {
    return { from: client, to: resource, kind: 'can_access', field: 'delegatedScopes', values: scopes, attributes: { consentType, delegated: true } };
  }
  const principal = gs(v, 'principalId');
  if (!principal) throw new RecordError('missing principalId (consentType Principal names the person who consented)');
  return { from: entraId.user(principal), to: client, kind: 'granted', field: 'scopes', values: scopes, attributes: { consentType, resources: [resource] } };
}

/**
 * appRoleAssignment: a user or group assigned to an app (can sign in to it), or a service principal
 * holding an application permission on an API (acts with no user at all).
 */
export function appRoleAssignmentEdge(v: Obj): PermissionEdge {
  const principal = need(v, 'principalId');
  const resourceId = need(v, 'resourceId');
  const type = gs(v, 'principalType');
  const from = type === 'User' ? entraId.user(principal) : type === 'Group' ? entraId.group(principal) : type === 'ServicePrincipal' ? entraId.sp(principal) : `entra:principal:${principal}`;
  const appRoleId = gs(v, 'appRoleId') ?? '00000000-0000-0000-0000-000000000000';
  const known = GRAPH_APP_ROLES[appRoleId];
  return {
    from,
    to: entraId.sp(resourceId),
    kind: 'can_access',
    field: 'appRoles',
    values: [known ? known[0] : appRoleId],
    attributes: compact({ permissionType: type === 'ServicePrincipal' ? 'Application' : 'Assignment', resourceDisplayName: gs(v, 'resourceDisplayName') }),
  };
}

export function permissionEdgeRecords(e: PermissionEdge, all: EdgeValues, v: Obj, ref: string): CanonicalRecord[] {
  const merged = all.get(edgeKeyOf(e))?.get(e.field);
  const values = merged ? [...merged].sort() : e.values;
  const attributes: Obj = { ...e.attributes, [e.field]: values };
  if (Array.isArray(e.attributes.resources)) attributes.resources = [...(all.get(edgeKeyOf(e))?.get('resources') ?? e.attributes.resources as string[])].sort();
  const out: CanonicalRecord[] = [rec.edge({ from: e.from, to: e.to, kind: e.kind, evidence: [ref], attributes })];
  // Application permissions act without a user: dangerous ones are entitlements of the principal.
  if (e.field === 'appRoles' && e.attributes.permissionType === 'Application') {
    const appRoleId = gs(v, 'appRoleId') ?? '';
    const known = GRAPH_APP_ROLES[appRoleId];
    if (known) {
      out.push(rec.entitlement({
        id: `ent:${shortHash([e.from, `graph-app-role:${appRoleId}`, 0, 'grant', gs(v, 'id') ?? ''].join('|'), 24)}`,
        identityId: e.from,
        effect: 'Allow',
        actions: [`microsoft.graph/${known[0]}`],
        resources: [e.to],
        privilege: known[1],
        sourcePolicy: `graph-app-role:${appRoleId}`,
        via: 'grant',
        viaId: gs(v, 'id'),
      }));
    }
  }
  return out;
}

/**
 * Microsoft Graph application permissions (app role ids are the same in every tenant) that matter for
 * privilege: the ones that lead to Global Administrator, or read or write everyone's data.
 */
const GRAPH_APP_ROLES: Record<string, [string, Privilege]> = {
  '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8': ['RoleManagement.ReadWrite.Directory', 'privesc'],
  '06b708a9-e830-4db3-a914-8e69da51d44f': ['AppRoleAssignment.ReadWrite.All', 'privesc'],
  '1bfefb4e-e0b5-418b-a88f-73c6d2f5f2c4': ['Application.ReadWrite.All', 'privesc'],
  '19dbc75e-c2e2-444c-a770-ec69d8559fc7': ['Directory.ReadWrite.All', 'write'],
  '7ab1d382-f21e-4acd-a863-ba3e13f7da61': ['Directory.Read.All', 'read'],
  'df021288-bdef-4463-88db-98f22de89214': ['User.Read.All', 'read'],
  '741f803b-c850-494e-b5df-cde7c675a1ca': ['User.ReadWrite.All', 'write'],
  '50483e42-d915-4231-9639-7fdb7fd190e5': ['UserAuthenticationMethod.ReadWrite.All', 'credential'],
  '62a82d76-70ea-41e2-9197-370581804d09': ['Group.ReadWrite.All', 'write'],
  '810c84a8-4a9e-49e6-bf7d-12d183f40d01': ['Mail.Read', 'read'],
  'e2a3a72e-5f79-4c64-b1b1-878b674786c9': ['Mail.ReadWrite', 'write'],
  'b633e1c5-b582-4048-a93e-9f11b44c7e96': ['Mail.Send', 'write'],
  '01d4889c-1287-42c6-ac1f-5d1e02578ef6': ['Files.Read.All', 'read'],
  '75359482-378d-4052-8f01-80520e7db3cd': ['Files.ReadWrite.All', 'write'],
};

/**
 * Built-in directory roles by template id (the same in every tenant): their privilege and what they
 * control. A role not listed is treated as `write`: directory roles are administrative by nature.
 */
const DIRECTORY_ROLES: Record<string, [string, Privilege, string[]]> = {
  '62e90394-69f5-4237-9190-012177145e10': ['Global Administrator', 'admin', ['microsoft.directory/*']],
  'e8611ab8-c189-46e8-94e1-60213ab1f814': ['Privileged Role Administrator', 'privesc', ['microsoft.directory/roleAssignments/*']],
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13': ['Privileged Authentication Administrator', 'privesc', ['microsoft.directory/users/authenticationMethods/*']],
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3': ['Application Administrator', 'privesc', ['microsoft.directory/applications/*', 'microsoft.directory/servicePrincipals/*']],
  '158c047a-c907-4556-b7ef-446551a6b5f7': ['Cloud Application Administrator', 'privesc', ['microsoft.directory/applications/*', 'microsoft.directory/servicePrincipals/*']],
  '8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2': ['Hybrid Identity Administrator', 'privesc', ['microsoft.directory/domains/federation/*']],
  'fe930be7-5e62-47db-91af-98c3a49a38b1': ['User Administrator', 'privesc', ['microsoft.directory/users/*', 'microsoft.directory/groups/*']],
  'fdd7a751-b60b-444a-984c-02652fe8fa1c': ['Groups Administrator', 'privesc', ['microsoft.directory/groups/*']],
  'c4e39bd9-1100-46d3-8c65-fb160da0071f': ['Authentication Administrator', 'credential', ['microsoft.directory/users/authenticationMethods/*']],
  '729827e3-9c14-49f7-bb1b-9608f156bbb8': ['Helpdesk Administrator', 'credential', ['microsoft.directory/users/password/update']],
  '194ae4cb-b126-40b2-bd5b-6091b380977d': ['Security Administrator', 'write', ['microsoft.directory/policies/*']],
  'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9': ['Conditional Access Administrator', 'write', ['microsoft.directory/conditionalAccessPolicies/*']],
  '29232cdf-9323-42fd-ade2-1d097af3e4de': ['Exchange Administrator', 'write', ['microsoft.office365.exchange/*']],
  'f28a1f50-f6e7-4571-818b-6a12f2af6b6c': ['SharePoint Administrator', 'write', ['microsoft.office365.sharePoint/*']],
  '3a2c62db-5318-420d-8d74-23affee5d9d5': ['Intune Administrator', 'write', ['microsoft.intune/*']],
  'd29b2b05-8046-44ba-8758-1e26182fcf32': ['Directory Synchronization Accounts', 'privesc', ['microsoft.directory/*']],
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451': ['Global Reader', 'read', ['microsoft.directory/*/read']],
  '5d6b6bb7-de71-4623-b4af-96380a352509': ['Security Reader', 'read', ['microsoft.directory/*/read']],
  '88d8e3e3-8f55-4a1e-953a-9b9898b8876b': ['Directory Readers', 'read', ['microsoft.directory/*/read']],
  '4a5d8f65-41da-4de4-8968-e035b65339cf': ['Reports Reader', 'read', ['microsoft.directory/auditLogs/read']],
};

/** unifiedRoleAssignment -> an entitlement of the principal; its type is known when `principal` is expanded. */
export function roleAssignmentRecords(v: Obj): CanonicalRecord[] {
  const principal = need(v, 'principalId');
  const roleDefinitionId = need(v, 'roleDefinitionId');
  const expanded = gobj(v, 'principal');
  const identityId = (expanded && principalId({ ...expanded, id: gs(expanded, 'id') ?? principal })) ?? `entra:principal:${principal}`;
  const role = DIRECTORY_ROLES[roleDefinitionId];
  const scope = gs(v, 'directoryScopeId') ?? '/';
  const policy = entraId.role(roleDefinitionId);
  return [rec.entitlement({
    id: `ent:${shortHash([identityId, policy, 0, 'direct', gs(v, 'id') ?? ''].join('|'), 24)}`,
    identityId,
    effect: 'Allow',
    actions: role ? role[2] : [`entra-role:${roleDefinitionId}`],
    resources: [scope === '/' ? 'entra:directory' : `entra:directory${scope}`],
    privilege: role ? role[1] : 'write',
    sourcePolicy: policy,
    via: 'direct',
    viaId: gs(v, 'id'),
  })];
}

export function roleDefinitionRecords(v: Obj): CanonicalRecord[] {
  const id = need(v, 'id');
  return [rec.policy({
    id: entraId.role(gs(v, 'templateId') ?? id),
    provider: 'entra',
    name: gs(v, 'displayName') ?? DIRECTORY_ROLES[id]?.[0] ?? id,
    kind: 'role',
    document: { rolePermissions: gp(v, 'rolePermissions') ?? null, isBuiltIn: gp(v, 'isBuiltIn') ?? null, isEnabled: gp(v, 'isEnabled') ?? null },
    attributes: compact({ description: gs(v, 'description'), templateId: gs(v, 'templateId') }),
  })];
}
