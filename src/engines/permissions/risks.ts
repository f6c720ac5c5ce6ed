import type { Method } from '../privesc/catalog.js';
import { builtinCatalog } from '../privesc/catalog.js';
import { awsActions } from './aws-actions.js';
import { compilePolicy, coversAction, type CompiledPolicy } from './compile.js';
import type { PolicyRisks } from './types.js';

/**
 * Risk categories of one policy document, as cloudsplaining popularised them: what it grants on every
 * resource (`Resource: "*"`), where nothing limits it to named resources.
 * - PrivilegeEscalation: every action of an escalation method of the catalogue
 * - ResourceExposure: "Permissions management" actions (they change who may use a resource)
 * - DataExfiltration: reads that return data or secrets wholesale
 * - CredentialsExposure: actions whose response is a credential
 * - InfrastructureModification: Write, Tagging and Permissions management actions
 * - ServiceWildcard: services granted as `service:*`
 * Actions that accept no resource ARN (wildcard-only) are left out of the exposure and modification
 * lists: `Resource: "*"` is the only way to grant them, so it says nothing about over-breadth.
 */
const DATA_EXFILTRATION = ['s3:GetObject', 'ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'secretsmanager:GetSecretValue'];

const CREDENTIAL_RESPONSES = [
  'iam:CreateAccessKey', 'iam:UpdateAccessKey', 'iam:CreateLoginProfile', 'iam:CreateServiceSpecificCredential', 'iam:ResetServiceSpecificCredential',
  'sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity', 'sts:GetFederationToken', 'sts:GetSessionToken',
  'sso:GetRoleCredentials', 'ecr:GetAuthorizationToken', 'codeartifact:GetAuthorizationToken', 'ec2:GetPasswordData',
  'lightsail:GetInstanceAccessDetails', 'lightsail:GetRelationalDatabaseMasterUserPassword', 'rds-db:connect',
  'redshift:GetClusterCredentials', 'redshift:GetClusterCredentialsWithIAM', 'cognito-identity:GetCredentialsForIdentity',
  'cognito-identity:GetOpenIdToken', 'cognito-identity:GetOpenIdTokenForDeveloperIdentity', 'connect:GetFederationToken',
  'gamelift:RequestUploadCredentials', 'chime:CreateApiKey', 'codepipeline:PollForJobs', 'mediapackage:RotateChannelCredentials',
  'mediapackage:RotateIngestEndpointCredentials',
];

export async function policyRisks(id: string, document: unknown, methods: Method[] = builtinCatalog().methods): Promise<PolicyRisks> {
  return risksOf(compilePolicy(id, document), methods);
}

export async function risksOf(policy: CompiledPolicy, methods: Method[] = builtinCatalog().methods): Promise<PolicyRisks> {
  const open = policy.statements.filter((s) => s.resources?.any && !s.notResources);
  const allows = open.filter((s) => s.effect === 'Allow');
  const denies = open.filter((s) => s.effect === 'Deny' && !s.condition);
  const everything = allows.some((s) => s.notActions || s.actions?.any);
  if (everything) await awsActions.ensureAll();
  else await awsActions.ensureFor([...allows.flatMap((s) => s.raw.actions), ...DATA_EXFILTRATION, ...CREDENTIAL_RESPONSES]);

  const candidates = everything ? awsActions.expand('*') : allows.flatMap((s) => s.raw.actions.flatMap((a) => awsActions.expand(a)));
  const granted = new Map<string, string>();
  for (const a of candidates) {
    if (granted.has(a.key)) continue;
    if (!allows.some((s) => coversAction(s, a.key))) continue;
    if (denies.some((s) => coversAction(s, a.key))) continue;
    granted.set(a.key, a.name);
  }
  // Actions the catalogue does not know (new, or misspelt) still count when a statement names them.
  for (const s of allows) {
    for (const a of s.raw.actions) {
      const k = a.toLowerCase();
      if (!k.includes('*') && !k.includes('?') && !granted.has(k) && !denies.some((d) => coversAction(d, k))) granted.set(k, a);
    }
  }
  const has = (a: string) => granted.has(a.toLowerCase());
  const levelled = (pred: (level: string) => boolean) => [...granted.entries()]
    .filter(([k]) => {
      const info = awsActions.info(k);
      return info !== undefined && !info.wildcardOnly && pred(info.level);
    })
    .map(([, name]) => name)
    .sort();

  const wildcards = new Set<string>();
  for (const s of allows) {
    for (const a of s.raw.actions) {
      const m = /^([\w-]+):\*$/.exec(a);
      if (m) wildcards.add(m[1].toLowerCase());
    }
  }
  return {
    policy: policy.id,
    PrivilegeEscalation: methods
      .filter((m) => m.provider === 'aws' && m.requires.every(has))
      .map((m) => ({ method: m.id, actions: m.requires })),
    ResourceExposure: levelled((l) => l === 'Permissions management'),
    DataExfiltration: DATA_EXFILTRATION.filter(has),
    CredentialsExposure: CREDENTIAL_RESPONSES.filter(has),
    InfrastructureModification: levelled((l) => l === 'Write' || l === 'Tagging' || l === 'Permissions management'),
    ServiceWildcard: [...wildcards].sort(),
  };
}
