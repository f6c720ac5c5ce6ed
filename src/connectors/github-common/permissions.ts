import type { Privilege } from '../../model/index.js';

/**
 * Privilege of a GitHub App or fine-grained token permission at a level (`read`, `write`, `admin`).
 * Permissions that reach secrets are credential access; those that change who can do what, or what
 * CI runs (and so which cloud roles its OIDC tokens reach), are privilege escalation.
 */
const ADMIN = new Set(['administration', 'organization_administration', 'enterprise_administration']);
const PRIVESC = new Set([
  'members', 'organization_user_blocking', 'workflows', 'organization_self_hosted_runners', 'organization_custom_roles',
  'organization_custom_org_roles', 'custom_properties', 'repository_hooks', 'organization_hooks', 'environments',
  'actions', 'organization_personal_access_tokens', 'organization_personal_access_token_requests',
]);
const CREDENTIAL = new Set(['secrets', 'organization_secrets', 'dependabot_secrets', 'codespaces_secrets', 'secret_scanning_alerts', 'keys', 'gpg_keys', 'git_ssh_keys']);

export function permissionPrivilege(permission: string, level: string): Privilege {
  const l = level.toLowerCase();
  if (CREDENTIAL.has(permission)) return 'credential';
  if (l === 'read') return 'read';
  if (ADMIN.has(permission) || l === 'admin') return 'admin';
  if (PRIVESC.has(permission)) return 'privesc';
  return 'write';
}

/** Privilege of a classic OAuth / personal-access-token scope. */
const SCOPES: Record<string, Privilege> = {
  repo: 'write', public_repo: 'write', 'repo:status': 'write', repo_deployment: 'write', 'repo:invite': 'write', security_events: 'write',
  'admin:repo_hook': 'write', 'write:repo_hook': 'write', 'read:repo_hook': 'read', delete_repo: 'write',
  'admin:org': 'admin', 'write:org': 'privesc', 'read:org': 'read', 'manage_runners:org': 'privesc',
  'admin:public_key': 'credential', 'write:public_key': 'credential', 'read:public_key': 'read',
  'admin:gpg_key': 'credential', 'write:gpg_key': 'credential', 'read:gpg_key': 'read',
  'admin:ssh_signing_key': 'credential', workflow: 'privesc', 'write:packages': 'write', 'read:packages': 'read', 'delete:packages': 'write',
  'admin:enterprise': 'admin', 'manage_runners:enterprise': 'privesc', 'manage_billing:enterprise': 'write', 'read:enterprise': 'read',
  site_admin: 'admin', user: 'write', 'read:user': 'read', 'user:email': 'read', 'user:follow': 'write', gist: 'write', notifications: 'read',
  codespace: 'write', project: 'write', 'read:project': 'read', 'read:audit_log': 'read', copilot: 'write',
};

export function scopePrivilege(scope: string): Privilege {
  return SCOPES[scope] ?? 'write';
}
