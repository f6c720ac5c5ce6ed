import type { Privilege } from '../../model/index.js';
import { maxPrivilege } from '../k8s-common/privilege.js';

/** Roles that let a member act as a service account: they become `impersonates` edges. */
export const IMPERSONATION_ROLES = new Set([
  'roles/iam.serviceAccountTokenCreator',
  'roles/iam.serviceAccountUser',
  'roles/iam.serviceAccountOpenIdTokenCreator',
]);
export const WORKLOAD_IDENTITY_ROLE = 'roles/iam.workloadIdentityUser';

const ADMIN_ROLES = new Set(['roles/owner', 'roles/resourcemanager.organizationAdmin', 'roles/iam.organizationRoleAdmin']);
const PRIVESC_ROLES = new Set([
  'roles/editor', // holds iam.serviceAccounts.actAs on every service account of the project
  'roles/iam.securityAdmin', 'roles/resourcemanager.projectIamAdmin', 'roles/resourcemanager.folderIamAdmin',
  'roles/iam.roleAdmin', 'roles/iam.serviceAccountAdmin', 'roles/cloudfunctions.developer', 'roles/run.admin',
  'roles/cloudbuild.builds.editor', 'roles/compute.instanceAdmin.v1', 'roles/deploymentmanager.editor',
  'roles/container.admin', 'roles/iam.workloadIdentityPoolAdmin',
]);
const CREDENTIAL_ROLES = new Set([
  'roles/iam.serviceAccountTokenCreator', 'roles/iam.serviceAccountUser', 'roles/iam.serviceAccountKeyAdmin',
  'roles/iam.serviceAccountOpenIdTokenCreator', 'roles/iam.workloadIdentityUser', 'roles/secretmanager.secretAccessor',
  'roles/secretmanager.admin', 'roles/cloudkms.cryptoKeyDecrypter', 'roles/storage.hmacKeyAdmin', 'roles/serviceusage.apiKeysAdmin',
]);

/** Permissions that change who can do what, or run code as someone else. */
const PRIVESC_PERMISSION = /\.setIamPolicy$|^iam\.roles\.(?:create|update)$|^iam\.serviceAccounts\.actAs$|^resourcemanager\.\w+\.setIamPolicy$/;
const CREDENTIAL_PERMISSION = /^iam\.serviceAccounts\.(?:getAccessToken|getOpenIdToken|signBlob|signJwt|implicitDelegation)$|^iam\.serviceAccountKeys\.create$|^secretmanager\.versions\.access$|^storage\.hmacKeys\.create$|^apikeys\.keys\.(?:create|getKeyString)$/;
const WRITE_PERMISSION = /\.(?:create|update|delete|patch|set\w*|insert|undelete|write|use\w*|run|invoke|deploy|add\w*|remove\w*)$/;

/**
 * The privilege level of a role: from its permissions when the export lists them, else from its name
 * (owner is admin; IAM administration and roles that run code as service accounts are privilege
 * escalation; token, key and secret access is credential; `*.admin` is admin of that service; viewers
 * and readers read; the rest write).
 */
export function rolePrivilege(role: string, permissions?: readonly string[] | null): Privilege {
  const byName = privilegeFromName(role);
  if (!permissions || !permissions.length) return byName;
  // Predefined roles are known by name (an export may list only part of their permissions); custom
  // roles are only what their permissions say.
  const levels: Privilege[] = [role.startsWith('roles/') ? byName : 'read'];
  for (const p of permissions) {
    if (PRIVESC_PERMISSION.test(p)) levels.push('privesc');
    else if (CREDENTIAL_PERMISSION.test(p)) levels.push('credential');
    else if (WRITE_PERMISSION.test(p)) levels.push('write');
  }
  return maxPrivilege(levels);
}

function privilegeFromName(role: string): Privilege {
  if (ADMIN_ROLES.has(role)) return 'admin';
  if (PRIVESC_ROLES.has(role)) return 'privesc';
  if (CREDENTIAL_ROLES.has(role)) return 'credential';
  const last = role.slice(role.lastIndexOf('.') + 1).toLowerCase();
  if (role === 'roles/viewer' || last.endsWith('viewer') || last.endsWith('reader') || last === 'browser' || last.endsWith('lister')) return 'read';
  if (last === 'admin' || last.endsWith('admin')) return 'admin';
  return 'write';
}
