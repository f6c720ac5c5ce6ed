import type { Privilege } from '../../model/index.js';
import { nameTokens } from './tags.js';

/**
 * AWS-managed policies are often attached without their document in the export (the CLI's
 * `--filter` leaves them out, and inventories built from list-attached-*-policies never have them).
 * The common ones are written out here so that their principals still get real entitlements.
 *
 * `abridged` documents keep the shape that decides the privilege (which services, which verbs) but not
 * AWS's full list, which runs to hundreds of actions and changes monthly; the exact ones are the policy
 * as AWS publishes it.
 */
export interface BuiltinPolicy {
  name: string;
  abridged: boolean;
  document: { Version: string; Statement: Array<Record<string, unknown>> };
}

const allow = (Action: string[] | string, Resource: string[] | string = '*', extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Action, Resource, ...extra });
const doc = (...Statement: Array<Record<string, unknown>>) => ({ Version: '2012-10-17', Statement });
const readVerbs = (services: string[]) => services.flatMap((s) => [`${s}:Describe*`, `${s}:Get*`, `${s}:List*`]);

/** Services whose Describe/Get/List actions the broad read-only policies cover (abridged). */
const COMMON_SERVICES = [
  'acm', 'apigateway', 'autoscaling', 'cloudformation', 'cloudfront', 'cloudtrail', 'cloudwatch', 'codebuild',
  'codecommit', 'codepipeline', 'config', 'dynamodb', 'ec2', 'ecr', 'ecs', 'eks', 'elasticache',
  'elasticloadbalancing', 'es', 'events', 'guardduty', 'iam', 'kinesis', 'kms', 'lambda', 'logs',
  'organizations', 'rds', 'redshift', 'route53', 's3', 'secretsmanager', 'securityhub', 'sns', 'sqs', 'ssm',
  'sso', 'states', 'sts', 'tag',
];

const POLICIES: BuiltinPolicy[] = [
  { name: 'AdministratorAccess', abridged: false, document: doc(allow('*')) },
  {
    name: 'PowerUserAccess', abridged: false, document: doc(
      { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
      allow(['iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:ListRoles', 'organizations:DescribeOrganization', 'account:ListRegions', 'account:GetAccountInformation']),
    ),
  },
  {
    name: 'ReadOnlyAccess', abridged: true,
    // The real policy grants ssm:Get* and s3:Get* on everything: it reads parameters and objects.
    document: doc(allow(readVerbs(COMMON_SERVICES.filter((s) => s !== 'sts')).filter((a) => a !== 'secretsmanager:Get*'))),
  },
  {
    name: 'ViewOnlyAccess', abridged: true,
    document: doc(allow(COMMON_SERVICES.flatMap((s) => [`${s}:Describe*`, `${s}:List*`]))),
  },
  {
    name: 'SecurityAudit', abridged: true,
    document: doc(allow([
      ...COMMON_SERVICES.filter((s) => s !== 's3' && s !== 'ssm' && s !== 'secretsmanager' && s !== 'sts').flatMap((s) => [`${s}:Describe*`, `${s}:List*`]),
      'iam:GenerateCredentialReport', 'iam:GetAccountAuthorizationDetails', 'iam:GetCredentialReport', 'iam:GetPolicy',
      'iam:GetPolicyVersion', 'iam:GetRole', 'iam:GetRolePolicy', 'iam:GetUser', 'iam:GetUserPolicy',
      's3:GetBucketPolicy', 's3:GetBucketAcl', 's3:GetBucketLogging', 's3:GetBucketVersioning', 's3:ListAllMyBuckets',
      'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'cloudtrail:GetTrailStatus', 'config:GetComplianceDetailsByConfigRule',
    ])),
  },
  {
    name: 'IAMFullAccess', abridged: false, document: doc(
      allow(['iam:*', 'organizations:DescribeAccount', 'organizations:DescribeOrganization', 'organizations:DescribeOrganizationalUnit',
        'organizations:DescribePolicy', 'organizations:ListChildren', 'organizations:ListParents', 'organizations:ListPoliciesForTarget',
        'organizations:ListRoots', 'organizations:ListPolicies', 'organizations:ListTargetsForPolicy']),
    ),
  },
  {
    name: 'IAMReadOnlyAccess', abridged: false, document: doc(
      allow(['iam:GenerateCredentialReport', 'iam:GenerateServiceLastAccessedDetails', 'iam:Get*', 'iam:List*', 'iam:SimulateCustomPolicy', 'iam:SimulatePrincipalPolicy']),
    ),
  },
  { name: 'AmazonS3FullAccess', abridged: false, document: doc(allow(['s3:*', 's3-object-lambda:*'])) },
  {
    name: 'AmazonS3ReadOnlyAccess', abridged: false,
    document: doc(allow(['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'])),
  },
  {
    name: 'AmazonEC2FullAccess', abridged: true, document: doc(
      allow(['ec2:*', 'elasticloadbalancing:*', 'cloudwatch:*', 'autoscaling:*']),
      allow('iam:CreateServiceLinkedRole', '*', { Condition: { StringEquals: { 'iam:AWSServiceName': ['autoscaling.amazonaws.com', 'ec2scheduled.amazonaws.com', 'elasticloadbalancing.amazonaws.com', 'spot.amazonaws.com', 'spotfleet.amazonaws.com', 'transitgateway.amazonaws.com'] } } }),
    ),
  },
  {
    name: 'AmazonEC2ReadOnlyAccess', abridged: false,
    document: doc(allow(['ec2:Describe*', 'elasticloadbalancing:Describe*', 'cloudwatch:ListMetrics', 'cloudwatch:GetMetricStatistics', 'cloudwatch:Describe*', 'autoscaling:Describe*'])),
  },
  {
    name: 'AWSLambda_FullAccess', abridged: true, document: doc(
      allow(['cloudformation:DescribeStacks', 'cloudformation:ListStackResources', 'cloudwatch:ListMetrics', 'cloudwatch:GetMetricData',
        'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'kms:ListAliases', 'iam:GetPolicy', 'iam:GetPolicyVersion',
        'iam:GetRole', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:ListRoles', 'lambda:*',
        'logs:DescribeLogGroups', 'states:DescribeStateMachine', 'states:ListStateMachines', 'tag:GetResources', 'xray:GetTraceSummaries', 'xray:BatchGetTraces']),
      allow('iam:PassRole', '*', { Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } } }),
      allow(['logs:DescribeLogStreams', 'logs:GetLogEvents', 'logs:FilterLogEvents'], 'arn:aws:logs:*:*:log-group:/aws/lambda/*'),
    ),
  },
  {
    name: 'AWSLambda_ReadOnlyAccess', abridged: true,
    document: doc(allow(['cloudformation:DescribeStacks', 'cloudformation:ListStackResources', 'cloudwatch:GetMetricData', 'cloudwatch:ListMetrics',
      'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'iam:GetRole', 'iam:ListRoles', 'lambda:Get*', 'lambda:List*', 'logs:DescribeLogGroups'])),
  },
  {
    name: 'AWSLambdaBasicExecutionRole', abridged: false,
    document: doc(allow(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'])),
  },
  {
    name: 'AmazonDynamoDBFullAccess', abridged: true, document: doc(
      allow(['dynamodb:*', 'dax:*', 'application-autoscaling:*', 'cloudwatch:*', 'kms:DescribeKey', 'kms:ListAliases', 'sns:*', 'lambda:*']),
      allow('iam:PassRole', '*', { Condition: { StringLike: { 'iam:PassedToService': ['application-autoscaling.amazonaws.com', 'dax.amazonaws.com'] } } }),
    ),
  },
  {
    name: 'AmazonDynamoDBReadOnlyAccess', abridged: true,
    document: doc(allow(['dynamodb:BatchGetItem', 'dynamodb:Describe*', 'dynamodb:List*', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dax:Describe*', 'dax:List*', 'dax:GetItem', 'dax:BatchGetItem', 'dax:Query', 'dax:Scan', 'cloudwatch:GetMetricStatistics', 'cloudwatch:ListMetrics'])),
  },
  {
    name: 'AmazonRDSFullAccess', abridged: true,
    document: doc(allow(['rds:*', 'application-autoscaling:*', 'cloudwatch:*', 'ec2:Describe*', 'logs:Describe*', 'logs:GetLogEvents', 'sns:ListSubscriptions', 'sns:ListTopics', 'sns:Publish', 'pi:*'])),
  },
  {
    name: 'AmazonRDSReadOnlyAccess', abridged: false,
    document: doc(allow(['rds:Describe*', 'rds:ListTagsForResource', 'ec2:DescribeAccountAttributes', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeInternetGateways', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcAttribute', 'ec2:DescribeVpcs', 'cloudwatch:GetMetricStatistics', 'cloudwatch:ListMetrics', 'cloudwatch:GetMetricData', 'logs:DescribeLogStreams', 'logs:GetLogEvents'])),
  },
  {
    name: 'SecretsManagerReadWrite', abridged: true,
    document: doc(allow(['secretsmanager:*', 'cloudformation:CreateChangeSet', 'cloudformation:DescribeChangeSet', 'cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:ExecuteChangeSet', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'kms:DescribeKey', 'kms:ListAliases', 'kms:ListKeys', 'lambda:ListFunctions', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances', 'tag:GetResources'])),
  },
  { name: 'AmazonSSMReadOnlyAccess', abridged: false, document: doc(allow(['ssm:Describe*', 'ssm:Get*', 'ssm:List*'])) },
  {
    name: 'AmazonSSMFullAccess', abridged: true,
    document: doc(allow(['cloudwatch:PutMetricData', 'ds:CreateComputer', 'ds:DescribeDirectories', 'ec2:DescribeInstanceStatus', 'logs:*', 'ssm:*', 'ec2messages:*'])),
  },
  {
    name: 'AmazonSSMManagedInstanceCore', abridged: false, document: doc(
      allow(['ssm:DescribeAssociation', 'ssm:GetDeployablePatchSnapshotForInstance', 'ssm:GetDocument', 'ssm:DescribeDocument', 'ssm:GetManifest',
        'ssm:GetParameter', 'ssm:GetParameters', 'ssm:ListAssociations', 'ssm:ListInstanceAssociations', 'ssm:PutInventory', 'ssm:PutComplianceItems',
        'ssm:PutConfigurePackageResult', 'ssm:UpdateAssociationStatus', 'ssm:UpdateInstanceAssociationStatus', 'ssm:UpdateInstanceInformation']),
      allow(['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel']),
      allow(['ec2messages:AcknowledgeMessage', 'ec2messages:DeleteMessage', 'ec2messages:FailMessage', 'ec2messages:GetEndpoint', 'ec2messages:GetMessages', 'ec2messages:SendReply']),
    ),
  },
  {
    name: 'AmazonEC2ContainerRegistryReadOnly', abridged: false,
    document: doc(allow(['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:GetRepositoryPolicy', 'ecr:DescribeRepositories', 'ecr:ListImages', 'ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:GetLifecyclePolicy', 'ecr:GetLifecyclePolicyPreview', 'ecr:ListTagsForResource', 'ecr:DescribeImageScanFindings'])),
  },
  {
    name: 'AmazonEC2ContainerRegistryPowerUser', abridged: false,
    document: doc(allow(['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:GetRepositoryPolicy', 'ecr:DescribeRepositories', 'ecr:ListImages', 'ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:GetLifecyclePolicy', 'ecr:GetLifecyclePolicyPreview', 'ecr:ListTagsForResource', 'ecr:DescribeImageScanFindings', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'])),
  },
  { name: 'CloudWatchLogsFullAccess', abridged: true, document: doc(allow(['logs:*', 'cloudwatch:GenerateQuery'])) },
  { name: 'CloudWatchReadOnlyAccess', abridged: true, document: doc(allow(['autoscaling:Describe*', 'cloudwatch:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*', 'logs:Get*', 'logs:List*', 'logs:StartQuery', 'logs:StopQuery', 'logs:Describe*', 'logs:TestMetricFilter', 'logs:FilterLogEvents', 'sns:Get*', 'sns:List*'])) },
  { name: 'AWSCloudTrail_ReadOnlyAccess', abridged: true, document: doc(allow(['cloudtrail:Get*', 'cloudtrail:Describe*', 'cloudtrail:List*', 'cloudtrail:LookupEvents', 's3:ListAllMyBuckets', 'kms:ListAliases', 'lambda:ListFunctions'])) },
  { name: 'AmazonSQSFullAccess', abridged: false, document: doc(allow('sqs:*')) },
  { name: 'AmazonSNSFullAccess', abridged: true, document: doc(allow(['sns:*', 'sms-voice:*'])) },
  { name: 'AWSCodeCommitFullAccess', abridged: true, document: doc(allow('codecommit:*')) },
  { name: 'AmazonVPCReadOnlyAccess', abridged: true, document: doc(allow(['ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeRouteTables', 'ec2:DescribeSecurityGroups', 'ec2:DescribeNetworkAcls', 'ec2:DescribeVpcEndpoints', 'ec2:DescribeNatGateways', 'ec2:DescribeInternetGateways'])) },
  { name: 'AWSOrganizationsFullAccess', abridged: true, document: doc(allow('organizations:*'), allow(['account:*', 'iam:CreateServiceLinkedRole'])) },
  { name: 'AWSOrganizationsReadOnlyAccess', abridged: true, document: doc(allow(['organizations:Describe*', 'organizations:List*', 'account:GetAlternateContact', 'account:GetContactInformation', 'account:ListRegions'])) },
  { name: 'AmazonKinesisFullAccess', abridged: false, document: doc(allow('kinesis:*')) },
  { name: 'AWSKeyManagementServicePowerUser', abridged: false, document: doc(allow(['kms:CreateAlias', 'kms:CreateKey', 'kms:DeleteAlias', 'kms:Describe*', 'kms:GenerateRandom', 'kms:Get*', 'kms:List*', 'kms:TagResource', 'kms:UntagResource', 'iam:ListGroups', 'iam:ListRoles', 'iam:ListUsers'])) },
];

const BY_NAME = new Map(POLICIES.map((p) => [p.name.toLowerCase(), p]));

/** `arn:aws:iam::aws:policy/service-role/X` -> true: only AWS-managed policies can be built in. */
export function isAwsManagedPolicyArn(arn: string): boolean {
  return /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn);
}

/** The shipped document of an AWS-managed policy (any partition, any path), or null. */
export function builtinPolicy(arn: string): BuiltinPolicy | null {
  if (!isAwsManagedPolicyArn(arn)) return null;
  return BY_NAME.get(arn.slice(arn.lastIndexOf('/') + 1).toLowerCase()) ?? null;
}

export function builtinPolicyNames(): string[] {
  return POLICIES.map((p) => p.name);
}

const ESCALATING_SERVICES = new Set(['iam', 'organizations', 'sso', 'identitystore']);

/**
 * A privilege from a policy's name alone, for policies whose document is nowhere to be found. It is a
 * guess and is reported as one (`privilegeSource: 'name'`): `...ReadOnly...` reads, `...FullAccess`
 * writes (escalates for IAM-like services), `Administrator...` is admin; anything else is assumed to
 * write, since AWS names read-only policies as such.
 */
export function privilegeFromPolicyName(name: string): Privilege {
  const tokens = nameTokens(name);
  const has = (t: string) => tokens.includes(t);
  if (has('administrator') || (has('admin') && has('access'))) return 'admin';
  if ((has('read') && has('only')) || has('readonly') || (has('view') && has('only')) || has('audit') || has('viewer')) return 'read';
  if (has('full') && has('access')) {
    const first = tokens[0] === 'amazon' || tokens[0] === 'aws' ? tokens[1] : tokens[0];
    return ESCALATING_SERVICES.has(first) ? 'privesc' : 'write';
  }
  return 'write';
}
