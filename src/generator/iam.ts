import type { Employee } from './org.js';
import type { Env } from './plan.js';
import type { WorkloadKind } from './vocab.js';

/** IAM entities as get-account-authorization-details describes them; times are epoch ms until written. */

export interface Tag { Key: string; Value: string }

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDoc { Version: '2012-10-17'; Statement: Statement[] }
export interface InlinePolicy { PolicyName: string; PolicyDocument: PolicyDoc }

export const doc = (...Statement: Statement[]): PolicyDoc => ({ Version: '2012-10-17', Statement });
export const allow = (Action: string | string[], Resource: string | string[] = '*', Sid?: string): Statement =>
  Sid ? { Sid, Effect: 'Allow', Action, Resource } : { Effect: 'Allow', Action, Resource };

export interface AccessKey {
  id: string;
  slot: 1 | 2;
  created: number;
  active: boolean;
  lastUsed: number | null;
  lastUsedRegion: string | null;
  lastUsedService: string | null;
}

export interface User {
  arn: string;
  name: string;
  path: string;
  id: string;
  created: number;
  tags: Tag[];
  groups: string[];
  attached: string[];
  inline: InlinePolicy[];
  keys: AccessKey[];
  password: { lastUsed: number | null; changed: number } | null;
  mfa: boolean;
  human: Employee | null;
  service: string | null;
  env: Env | null;
}

export interface InstanceProfile { name: string; arn: string; id: string; created: number }

export type RolePurpose = 'workload' | 'ci' | 'access' | 'vendor' | 'service-linked' | 'organization' | 'replication';

export interface Role {
  arn: string;
  name: string;
  path: string;
  id: string;
  created: number;
  trust: PolicyDoc;
  attached: string[];
  inline: InlinePolicy[];
  tags: Tag[];
  lastUsed: { t: number; region: string } | null;
  profile: InstanceProfile | null;
  workload: WorkloadKind | null;
  service: string | null;
  purpose: RolePurpose;
  description?: string;
  maxSession: number;
  /** May be passed to compute by a CI role: never given broad permissions. */
  passable?: boolean;
}

export interface Group { arn: string; name: string; path: string; id: string; created: number; attached: string[]; inline: InlinePolicy[] }

export interface ManagedPolicy {
  arn: string;
  name: string;
  path: string;
  id: string;
  created: number;
  updated: number;
  /** Oldest first; the last is the default. */
  versions: { doc: PolicyDoc; created: number }[];
  description?: string;
}

export interface TaggedResource { arn: string; tags: Tag[] }

const AWS_DATE = (s: string) => Date.parse(s);

export interface AwsManagedPolicy {
  name: string;
  path: string;
  created: number;
  updated: number;
  version: string;
  /** The real document where it is short enough to ship; others are attached by ARN only. */
  doc: PolicyDoc | null;
}

/** AWS managed policies the estate attaches. */
export const AWS_MANAGED: Record<string, AwsManagedPolicy> = Object.fromEntries(
  ([
    ['AdministratorAccess', '/', '2015-02-06T18:39:46Z', '2015-02-06T18:39:46Z', 'v1', doc(allow('*', '*'))],
    ['PowerUserAccess', '/', '2015-02-06T18:39:47Z', '2023-07-06T22:04:00Z', 'v5', doc(
      { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
      allow(['account:GetAccountInformation', 'account:GetPrimaryEmail', 'account:ListRegions', 'iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:ListRoles', 'organizations:DescribeOrganization']),
    )],
    ['ReadOnlyAccess', '/', '2015-02-06T18:39:48Z', '2024-10-24T17:21:47Z', 'v121', null],
    ['SecurityAudit', '/', '2015-02-06T18:41:01Z', '2024-10-16T17:12:30Z', 'v49', null],
    ['IAMReadOnlyAccess', '/', '2015-02-06T18:40:39Z', '2018-01-25T19:11:27Z', 'v4', doc(
      allow(['iam:GenerateCredentialReport', 'iam:GenerateServiceLastAccessedDetails', 'iam:Get*', 'iam:List*', 'iam:SimulateCustomPolicy', 'iam:SimulatePrincipalPolicy']),
    )],
    ['AmazonS3ReadOnlyAccess', '/', '2015-02-06T18:40:59Z', '2023-08-10T21:31:39Z', 'v3', doc(
      allow(['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*']),
    )],
    ['AWSLambdaBasicExecutionRole', '/service-role/', '2015-04-09T15:03:43Z', '2015-04-09T15:03:43Z', 'v1', doc(
      allow(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']),
    )],
    ['AmazonECSTaskExecutionRolePolicy', '/service-role/', '2017-11-16T18:48:22Z', '2017-11-16T18:48:22Z', 'v1', doc(
      allow(['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'logs:CreateLogStream', 'logs:PutLogEvents']),
    )],
    ['AmazonSSMManagedInstanceCore', '/', '2019-03-15T17:22:12Z', '2023-05-23T16:53:48Z', 'v3', null],
    ['CloudWatchAgentServerPolicy', '/', '2017-09-13T00:16:41Z', '2023-06-01T16:47:28Z', 'v4', null],
    ['AWSGlueServiceRole', '/service-role/', '2017-08-14T13:37:39Z', '2023-07-11T19:17:18Z', 'v9', null],
    ['AWSBatchServiceRole', '/service-role/', '2016-12-06T20:46:13Z', '2023-06-27T18:51:59Z', 'v15', null],
    ['AWSStepFunctionsFullAccess', '/', '2016-11-30T23:11:42Z', '2022-03-16T17:50:28Z', 'v2', null],
    ['Billing', '/job-function/', '2016-11-10T17:33:18Z', '2024-03-18T18:03:24Z', 'v13', null],
    ['AmazonECSServiceRolePolicy', '/aws-service-role/', '2017-10-14T01:18:58Z', '2024-09-18T19:30:42Z', 'v23', null],
    ['AutoScalingServiceRolePolicy', '/aws-service-role/', '2018-01-08T23:10:55Z', '2023-05-17T21:37:23Z', 'v12', null],
    ['AWSElasticLoadBalancingServiceRolePolicy', '/aws-service-role/', '2017-09-19T22:19:04Z', '2023-11-07T19:27:17Z', 'v13', null],
    ['AmazonRDSServiceRolePolicy', '/aws-service-role/', '2018-01-08T18:17:46Z', '2024-08-07T21:02:27Z', 'v26', null],
    ['AWSSupportServiceRolePolicy', '/aws-service-role/', '2018-04-19T18:04:44Z', '2024-10-01T15:55:08Z', 'v39', null],
    ['AWSTrustedAdvisorServiceRolePolicy', '/aws-service-role/', '2018-02-22T21:24:25Z', '2024-07-18T18:10:46Z', 'v19', null],
    ['AWSConfigServiceRolePolicy', '/aws-service-role/', '2018-05-30T23:31:46Z', '2024-10-21T19:45:03Z', 'v56', null],
    ['AWSOrganizationsServiceTrustPolicy', '/aws-service-role/', '2017-10-10T23:04:07Z', '2020-11-04T16:03:56Z', 'v2', null],
  ] as const).map(([name, path, created, updated, version, d]) => [
    name, { name, path, created: AWS_DATE(created), updated: AWS_DATE(updated), version, doc: d as PolicyDoc | null },
  ]),
);

export function awsPolicyArn(name: keyof typeof AWS_MANAGED | string): string {
  const p = AWS_MANAGED[name];
  if (!p) throw new Error(`unknown AWS managed policy ${name}`);
  return `arn:aws:iam::aws:policy${p.path}${name}`;
}

/** Service-linked roles every account of the estate has, with the service that uses them. */
export const SERVICE_LINKED_ROLES = [
  { name: 'AWSServiceRoleForECS', service: 'ecs.amazonaws.com', policy: 'AmazonECSServiceRolePolicy' },
  { name: 'AWSServiceRoleForAutoScaling', service: 'autoscaling.amazonaws.com', policy: 'AutoScalingServiceRolePolicy' },
  { name: 'AWSServiceRoleForElasticLoadBalancing', service: 'elasticloadbalancing.amazonaws.com', policy: 'AWSElasticLoadBalancingServiceRolePolicy' },
  { name: 'AWSServiceRoleForRDS', service: 'rds.amazonaws.com', policy: 'AmazonRDSServiceRolePolicy' },
  { name: 'AWSServiceRoleForSupport', service: 'support.amazonaws.com', policy: 'AWSSupportServiceRolePolicy' },
  { name: 'AWSServiceRoleForTrustedAdvisor', service: 'trustedadvisor.amazonaws.com', policy: 'AWSTrustedAdvisorServiceRolePolicy' },
  { name: 'AWSServiceRoleForConfig', service: 'config.amazonaws.com', policy: 'AWSConfigServiceRolePolicy' },
] as const;

export function trustService(service: string): PolicyDoc {
  return doc({ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' });
}

export function userArn(account: string, path: string, name: string): string {
  return `arn:aws:iam::${account}:user${path}${name}`;
}
export function roleArn(account: string, path: string, name: string): string {
  return `arn:aws:iam::${account}:role${path}${name}`;
}
export function accountRoot(account: string): string {
  return `arn:aws:iam::${account}:root`;
}
