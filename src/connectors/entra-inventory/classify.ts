import { collectionOf, gp, odataType } from '../shared/graph.js';

type Obj = Record<string, unknown>;

export type EntraObjectKind =
  | 'user' | 'application' | 'servicePrincipal' | 'group' | 'member' | 'oauth2PermissionGrant' | 'appRoleAssignment'
  | 'federatedIdentityCredential' | 'roleAssignment' | 'roleDefinition';

/** Graph collections (the part of `@odata.context` after `$metadata#`) and what they list. */
const COLLECTIONS: [RegExp, EntraObjectKind][] = [
  [/^users$/, 'user'],
  [/^applications$/, 'application'],
  [/^servicePrincipals$/, 'servicePrincipal'],
  [/^groups$/, 'group'],
  [/^groups\([^)]*\)\/(?:transitive)?members/, 'member'],
  [/^oauth2PermissionGrants$/, 'oauth2PermissionGrant'],
  [/\/appRoleAssign(?:ments|edTo)$/, 'appRoleAssignment'],
  [/\/federatedIdentityCredentials$/, 'federatedIdentityCredential'],
  [/^roleManagement\/directory\/roleAssignments/, 'roleAssignment'],
  [/^roleManagement\/directory\/roleDefinitions/, 'roleDefinition'],
];

const ODATA_TYPES: Record<string, EntraObjectKind> = {
  user: 'user', application: 'application', servicePrincipal: 'servicePrincipal', group: 'group',
  oAuth2PermissionGrant: 'oauth2PermissionGrant', appRoleAssignment: 'appRoleAssignment',
  federatedIdentityCredential: 'federatedIdentityCredential', unifiedRoleAssignment: 'roleAssignment',
  unifiedRoleDefinition: 'roleDefinition',
};

/**
 * What a Graph object is: by the page's context when it says, else by `@odata.type`, else by the
 * properties only that object type has (az CLI and SDK dumps carry neither).
 */
export function classifyEntra(v: Obj, context: string | null): EntraObjectKind | null {
  const collection = collectionOf(context);
  if (collection) for (const [re, kind] of COLLECTIONS) if (re.test(collection)) return kind;
  const t = odataType(v);
  if (t && ODATA_TYPES[t]) return ODATA_TYPES[t];
  const has = (k: string) => gp(v, k) !== undefined;
  if (has('consentType') && has('clientId')) return 'oauth2PermissionGrant';
  if (has('appRoleId') && has('principalId')) return 'appRoleAssignment';
  if (has('roleDefinitionId') && has('principalId')) return 'roleAssignment';
  if (has('rolePermissions') || (has('isBuiltIn') && has('templateId'))) return 'roleDefinition';
  if (has('issuer') && has('subject') && has('audiences')) return 'federatedIdentityCredential';
  if (has('servicePrincipalType') || has('appOwnerOrganizationId') || has('servicePrincipalNames')) return 'servicePrincipal';
  if (has('appId')) return 'application';
  if (has('userPrincipalName')) return 'user';
  if (has('securityEnabled') || has('mailEnabled') || has('groupTypes')) return 'group';
  return null;
}

/** The id inside `groups('<id>')/members` or `applications(appId='<id>')/...` of a context URL. */
export function contextKey(context: string | null, collection: string, key?: string): string | null {
  const c = collectionOf(context);
  if (!c) return null;
  const re = key ? new RegExp(`^${collection}\\(${key}='([^']+)'\\)`) : new RegExp(`^${collection}\\('([^']+)'\\)`);
  const m = re.exec(c);
  return m ? m[1] : null;
}
