import type { Connector, SourceItem } from '../contract.js';
import { toItem } from '../contract.js';
import type { CanonicalRecord } from '../../model/index.js';
import { RecordError } from '../../lib/errors.js';
import { readGraphRecords, type GraphRecord } from '../shared/graph.js';
import { classifyEntra, contextKey, type EntraObjectKind } from './classify.js';
import {
  appRoleAssignmentEdge, edgeKeyOf, oauth2GrantEdge, permissionEdgeRecords, roleAssignmentRecords, roleDefinitionRecords,
  type EdgeValues, type PermissionEdge,
} from './grants.js';
import {
  applicationRecords, federatedCredentialRecords, groupRecords, memberRecords, servicePrincipalRecords, userRecords,
} from './principals.js';

type Obj = Record<string, unknown>;

/**
 * Microsoft Entra ID directory objects as Microsoft Graph lists them (`{"value": [...]}` pages or
 * arrays, camelCase or the Python SDK's snake_case): users, applications with their credentials and
 * federated credentials, service principals and managed identities, groups and members, delegated
 * and application permission grants, directory role assignments and definitions.
 */
export const connector: Connector = {
  name: 'entra-inventory',
  title: 'Microsoft Entra ID directory (Graph)',
  category: 'inventory',
  produces: 'Microsoft Graph GET /users, /applications?$expand=owners,federatedIdentityCredentials, /servicePrincipals?$expand=owners, /groups?$expand=members, /oauth2PermissionGrants, /servicePrincipals/{id}/appRoleAssignedTo, /roleManagement/directory/roleAssignments?$expand=principal, /roleManagement/directory/roleDefinitions (or az ad ... list)',
  detect(sample) {
    const h = sample.head;
    if (/\$metadata#(users|applications|servicePrincipals|groups|oauth2PermissionGrants|roleManagement\/directory\/role|[^"]*appRoleAssign|[^"]*federatedIdentityCredentials|[^"]*\/members)/.test(h)) return 0.95;
    if (h.includes('"@odata.context"')) return 0;
    if (h.includes('"category"') && h.includes('"properties"')) return 0;
    const shape = /"(servicePrincipalType|service_principal_type|userPrincipalName|user_principal_name|passwordCredentials|consentType|appRoleId|app_role_id|roleDefinitionId|role_definition_id|signInAudience|sign_in_audience|securityEnabled|security_enabled|groupTypes|group_types|rolePermissions|role_permissions|isBuiltIn|is_built_in)"/.test(h);
    if (!shape) return 0;
    // Sign-in and audit records name users and apps too: those are logs, not the directory.
    if (/"(createdDateTime|activityDateTime)"\s*:[^,]*,[\s\S]{0,400}"(status|initiatedBy|riskState)"/.test(h) && !h.includes('"passwordCredentials"')) return 0;
    return 0.75;
  },
  async *parse(file, options) {
    const records: GraphRecord[] = [];
    for await (const batch of readGraphRecords(file)) records.push(...batch);
    const kinds: (EntraObjectKind | null)[] = [];
    const edges: (PermissionEdge | Error | null)[] = [];
    const values: EdgeValues = new Map();
    // First pass: permissions per edge over the whole file, so that each edge carries all of them.
    for (const r of records) {
      const v = asObject(r.value);
      const kind = v ? classifyEntra(v, r.context) : null;
      kinds.push(kind);
      let edge: PermissionEdge | Error | null = null;
      try {
        if (v && kind === 'oauth2PermissionGrant') edge = oauth2GrantEdge(v);
        else if (v && kind === 'appRoleAssignment') edge = appRoleAssignmentEdge(v);
      } catch (err) {
        edge = err as Error;
      }
      edges.push(edge);
      if (edge && !(edge instanceof Error)) {
        const key = edgeKeyOf(edge);
        const fields = values.get(key) ?? new Map<string, Set<string>>();
        const add = (field: string, list: string[]) => {
          const set = fields.get(field) ?? new Set<string>();
          for (const x of list) set.add(x);
          fields.set(field, set);
        };
        add(edge.field, edge.values);
        if (Array.isArray(edge.attributes.resources)) add('resources', edge.attributes.resources as string[]);
        values.set(key, fields);
      }
    }
    const items: SourceItem[] = records.map((r, i) => {
      if (r.error !== undefined) return { index: r.index, line: r.line, reject: r.error };
      return toItem(r.index, r.line, () => {
        const v = asObject(r.value);
        if (!v) throw new RecordError('not a directory object (expected a JSON object)');
        const kind = kinds[i];
        if (!kind) throw new RecordError('not a recognised directory object (expected a user, application, service principal, group, grant, app role assignment, federated credential or role assignment)');
        return objectRecords(v, kind, r, edges[i], values, options.now, `${file.path}#${r.index}`);
      });
    });
    for (let i = 0; i < items.length; i += 2000) yield items.slice(i, i + 2000);
  },
};

function objectRecords(v: Obj, kind: EntraObjectKind, r: GraphRecord, edge: PermissionEdge | Error | null, values: EdgeValues, now: Date, ref: string): CanonicalRecord[] {
  switch (kind) {
    case 'user': return userRecords(v);
    case 'application': return applicationRecords(v, now, ref);
    case 'servicePrincipal': return servicePrincipalRecords(v, now, ref);
    case 'group': return groupRecords(v, ref);
    case 'member': {
      const group = contextKey(r.context, 'groups');
      if (!group) throw new RecordError('missing the group id (expected an @odata.context of groups(\'<id>\')/members)');
      return memberRecords(v, group, ref);
    }
    case 'oauth2PermissionGrant':
    case 'appRoleAssignment':
      if (edge instanceof Error) throw edge;
      return permissionEdgeRecords(edge!, values, v, ref);
    case 'federatedIdentityCredential': {
      const appId = contextKey(r.context, 'applications', 'appId');
      if (!appId) {
        throw new RecordError('missing the application appId (list federated credentials as applications(appId=\'<appId>\')/federatedIdentityCredentials, or expand them on /applications)');
      }
      return federatedCredentialRecords(v, appId, ref);
    }
    case 'roleAssignment': return roleAssignmentRecords(v);
    case 'roleDefinition': return roleDefinitionRecords(v);
  }
}

function asObject(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}
