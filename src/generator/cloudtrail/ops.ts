import type { Bucket, Deployment } from '../accounts.js';
import { ALNUM, type Rng } from '../rng.js';
import { ctTime, isoDate } from '../time.js';
import type { Call } from './records.js';

/** The service-specific part of a call: what was done to what. Who, when, where from come from the actor. */
export type OpCall = Pick<Call, 'source' | 'name' | 'readOnly' | 'request' | 'response' | 'additional' | 'resources' | 'management' | 'host'>;
export type Op = (rng: Rng, t: number) => OpCall;
export type WeightedOps = (readonly [Op, number])[];

const S3 = 's3.amazonaws.com';

export function objectKey(rng: Rng, t: number, purpose: string): string {
  const day = isoDate(t).replace(/-/g, '/');
  switch (purpose) {
    case 'data': return `customers/${isoDate(t).slice(0, 7)}/part-${String(rng.int(0, 4095)).padStart(5, '0')}.parquet`;
    case 'exports': return `exports/${day}/batch-${rng.hex(8)}.csv.gz`;
    case 'uploads': return `uploads/${rng.hex(2)}/${rng.uuid()}.pdf`;
    case 'logs': return `app/${day}/${rng.hex(12)}.log.gz`;
    case 'reports': return `reports/${isoDate(t).slice(0, 7)}/report-${rng.int(1, 400)}.xlsx`;
    case 'backups': return `snapshots/${day}/dump-${rng.hex(6)}.sql.gz`;
    case 'assets': return `static/${rng.hex(8)}/${rng.pick(['app.js', 'main.css', 'logo.svg', 'index.html'])}`;
    default: return `artifacts/${rng.hex(12)}.tar.gz`;
  }
}

function purposeOf(b: Bucket): string {
  const m = /-(data|exports|uploads|artifacts|logs|reports|backups|assets)-/.exec(b.name);
  return m ? m[1] : 'artifacts';
}

export function s3Object(b: Bucket, name: 'GetObject' | 'PutObject' | 'HeadObject', key?: string): Op {
  return (rng, t) => {
    const k = key ?? objectKey(rng, t, purposeOf(b));
    const host = `${b.name}.s3.${b.region}.amazonaws.com`;
    const size = rng.int(800, 4_000_000);
    return {
      source: S3, name, readOnly: name !== 'PutObject', management: false, host,
      request: { bucketName: b.name, Host: host, key: k },
      response: name === 'PutObject' ? { 'x-amz-server-side-encryption': 'AES256' } : null,
      additional: {
        SignatureVersion: 'SigV4', CipherSuite: 'TLS_AES_128_GCM_SHA256', bytesTransferredIn: name === 'PutObject' ? size : 0,
        AuthenticationMethod: 'AuthHeader', 'x-amz-id-2': rng.chars(ALNUM + '+/', 76), bytesTransferredOut: name === 'GetObject' ? size : 0,
      },
      resources: [{ type: 'AWS::S3::Object', ARN: `${b.arn}/${k}` }, { accountId: b.account, type: 'AWS::S3::Bucket', ARN: b.arn }],
    };
  };
}

export function s3List(b: Bucket, prefix?: string): Op {
  return (rng, t) => {
    const host = `${b.name}.s3.${b.region}.amazonaws.com`;
    return {
      source: S3, name: 'ListObjects', readOnly: true, management: false, host,
      request: { bucketName: b.name, Host: host, 'list-type': '2', prefix: prefix ?? objectKey(rng, t, purposeOf(b)).split('/').slice(0, 2).join('/') + '/', 'encoding-type': 'url' },
      additional: { SignatureVersion: 'SigV4', CipherSuite: 'TLS_AES_128_GCM_SHA256', bytesTransferredIn: 0, AuthenticationMethod: 'AuthHeader', 'x-amz-id-2': rng.chars(ALNUM + '+/', 76), bytesTransferredOut: rng.int(300, 90_000) },
      resources: [{ accountId: b.account, type: 'AWS::S3::Bucket', ARN: b.arn }],
    };
  };
}

export const s3ListBuckets: Op = () => ({ source: S3, name: 'ListBuckets', readOnly: true, request: { Host: 's3.amazonaws.com' }, host: 's3.amazonaws.com' });

export function s3BucketRead(b: Bucket, name: 'GetBucketLocation' | 'GetBucketPolicy' | 'GetBucketAcl' | 'GetBucketEncryption'): Op {
  const sub: Record<string, string> = { GetBucketLocation: 'location', GetBucketPolicy: 'policy', GetBucketAcl: 'acl', GetBucketEncryption: 'encryption' };
  return () => ({
    source: S3, name, readOnly: true, host: `${b.name}.s3.${b.region}.amazonaws.com`,
    request: { bucketName: b.name, Host: `${b.name}.s3.${b.region}.amazonaws.com`, [sub[name]]: '' },
    resources: [{ accountId: b.account, type: 'AWS::S3::Bucket', ARN: b.arn }],
  });
}

export function kms(keyArn: string, name: 'Decrypt' | 'GenerateDataKey'): Op {
  const account = keyArn.split(':')[4];
  return () => ({
    source: 'kms.amazonaws.com', name, readOnly: true,
    request: name === 'Decrypt' ? { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' } : { keyId: keyArn, keySpec: 'AES_256' },
    resources: [{ accountId: account, type: 'AWS::KMS::Key', ARN: keyArn }],
  });
}

export function getSecret(secretArn: string): Op {
  return () => ({ source: 'secretsmanager.amazonaws.com', name: 'GetSecretValue', readOnly: true, request: { secretId: secretArn } });
}

export function ssmParam(prefix: string): Op {
  return (rng) => rng.chance(0.7)
    ? { source: 'ssm.amazonaws.com', name: 'GetParameter', readOnly: true, request: { name: `${prefix}${rng.pick(['db/host', 'db/port', 'feature-flags', 'endpoint', 'queue-url', 'log-level'])}`, withDecryption: true } }
    : { source: 'ssm.amazonaws.com', name: 'GetParametersByPath', readOnly: true, request: { path: prefix, recursive: true, withDecryption: true } };
}

export const callerIdentity: Op = () => ({ source: 'sts.amazonaws.com', name: 'GetCallerIdentity', readOnly: true, request: null });

export function ec2Read(name: 'DescribeInstances' | 'DescribeTags' | 'DescribeVolumes' | 'DescribeSecurityGroups' | 'DescribeSubnets' | 'DescribeInstanceStatus' | 'DescribeNetworkInterfaces'): Op {
  return () => ({ source: 'ec2.amazonaws.com', name, readOnly: true, request: name === 'DescribeInstances' ? { instancesSet: {}, filterSet: {} } : { filterSet: {} } });
}

export function ssmAgent(instanceId: string): Op {
  return () => ({
    source: 'ssm.amazonaws.com', name: 'UpdateInstanceInformation', readOnly: false,
    request: { instanceId, agentVersion: '3.3.987.0', agentStatus: 'Active', platformType: 'Linux', platformName: 'Amazon Linux', platformVersion: '2023', iPAddress: '10.0.0.1', computerName: `ip-10-0-0-1.ec2.internal`, agentName: 'amazon-ssm-agent', availabilityZone: 'us-east-1a' },
  });
}

export function dynamoDescribe(table: string): Op {
  return () => ({ source: 'dynamodb.amazonaws.com', name: 'DescribeTable', readOnly: true, request: { tableName: table } });
}

export function logStream(group: string): Op {
  return (rng, t) => ({
    source: 'logs.amazonaws.com', name: 'CreateLogStream', readOnly: false,
    request: { logGroupName: group, logStreamName: `${isoDate(t).replace(/-/g, '/')}/[$LATEST]${rng.hex(32)}` },
  });
}

export function glueGetTable(db: string): Op {
  return (rng) => ({ source: 'glue.amazonaws.com', name: 'GetTable', readOnly: true, request: { databaseName: db, name: rng.pick(['events', 'orders', 'customers_daily', 'payments_raw', 'sessions']) } });
}

export function ecsDescribe(cluster: string, service: string): Op {
  return () => ({ source: 'ecs.amazonaws.com', name: 'DescribeServices', readOnly: true, request: { cluster, services: [service] } });
}

export function ecsUpdate(cluster: string, service: string): Op {
  return (rng) => ({
    source: 'ecs.amazonaws.com', name: 'UpdateService', readOnly: false,
    request: { cluster, service, taskDefinition: `${service}:${rng.int(20, 400)}`, forceNewDeployment: true },
  });
}

export function ecsRegister(family: string, taskRoleArn: string | null): Op {
  return () => ({
    source: 'ecs.amazonaws.com', name: 'RegisterTaskDefinition', readOnly: false,
    request: { family, networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '512', memory: '1024', ...(taskRoleArn ? { taskRoleArn } : {}), containerDefinitions: [{ name: family, image: `${family}:latest`, essential: true }] },
  });
}

export function ecrOp(account: string, region: string, repo: string, name: 'GetAuthorizationToken' | 'BatchCheckLayerAvailability' | 'InitiateLayerUpload' | 'PutImage' | 'BatchGetImage'): Op {
  const repoArn = `arn:aws:ecr:${region}:${account}:repository/${repo}`;
  return (rng) => name === 'GetAuthorizationToken'
    ? { source: 'ecr.amazonaws.com', name, readOnly: true, request: null }
    : {
      source: 'ecr.amazonaws.com', name, readOnly: name === 'BatchCheckLayerAvailability' || name === 'BatchGetImage',
      request: name === 'PutImage' ? { repositoryName: repo, registryId: account, imageTag: rng.hex(7) } : { repositoryName: repo, registryId: account },
      resources: [{ accountId: account, type: 'AWS::ECR::Repository', ARN: repoArn }],
    };
}

export function lambdaUpdate(account: string, region: string, fn: string): Op {
  return () => ({
    source: 'lambda.amazonaws.com', name: 'UpdateFunctionCode20150331v2', readOnly: false,
    request: { functionName: `arn:aws:lambda:${region}:${account}:function:${fn}`, publish: true, dryRun: false },
  });
}

export function iamRead(name: string, request: unknown = null): Op {
  return () => ({ source: 'iam.amazonaws.com', name, readOnly: true, request, host: 'iam.amazonaws.com' });
}

export function generic(source: string, name: string, readOnly: boolean, request: unknown = null): Op {
  return () => ({ source, name, readOnly, request });
}

export function cloudwatchMetrics(): Op {
  return (rng, t) => ({
    source: 'monitoring.amazonaws.com', name: 'GetMetricData', readOnly: true,
    request: { startTime: ctTime(t - 3_600_000), endTime: ctTime(t), metricDataQueries: [{ id: `m${rng.int(1, 9)}`, returnData: true }] },
  });
}

/** What a service's workloads do day to day, by kind of compute. */
export function workloadOps(d: Deployment, kind: string, instanceId?: string): WeightedOps {
  const ops: [Op, number][] = [];
  for (const b of d.buckets) {
    ops.push([s3Object(b, 'GetObject'), 18], [s3Object(b, 'PutObject'), 9], [s3List(b), 4]);
  }
  ops.push([kms(d.keyArn, 'Decrypt'), 12], [kms(d.keyArn, 'GenerateDataKey'), 5], [getSecret(d.secretArn), 4], [ssmParam(d.paramPrefix), 6]);
  if (d.table) ops.push([dynamoDescribe(d.table), 2]);
  if (kind === 'lambda') ops.push([logStream(`/aws/lambda/${d.service}`), 4]);
  if (kind === 'ec2' && instanceId) ops.push([ssmAgent(instanceId), 10], [ec2Read('DescribeTags'), 3]);
  if (kind === 'glue') ops.push([glueGetTable(`${d.service}_${d.env}`), 8]);
  if (kind === 'ecs') ops.push([ecsDescribe(d.cluster, `${d.service}-api`), 1]);
  return ops;
}

/** Service users: scripts and integrations with long-lived keys. */
export function serviceUserOps(d: Deployment): WeightedOps {
  const ops: [Op, number][] = [[callerIdentity, 2]];
  for (const b of d.buckets) ops.push([s3Object(b, 'PutObject'), 12], [s3Object(b, 'GetObject'), 10], [s3List(b), 6]);
  ops.push([kms(d.keyArn, 'GenerateDataKey'), 6], [kms(d.keyArn, 'Decrypt'), 4], [ssmParam(d.paramPrefix), 2]);
  if (d.table) ops.push([dynamoDescribe(d.table), 2]);
  return ops;
}

/** Engineers at work in an account, through the CLI or an assistant. */
export function engineerOps(d: Deployment | undefined): WeightedOps {
  const ops: [Op, number][] = [
    [callerIdentity, 3], [s3ListBuckets, 3], [ec2Read('DescribeInstances'), 4], [cloudwatchMetrics(), 4],
    [generic('logs.amazonaws.com', 'FilterLogEvents', true, { logGroupName: '/ecs/app', limit: 100 }), 5],
    [generic('lambda.amazonaws.com', 'ListFunctions20150331', true, { functionVersion: 'ALL' }), 2],
    [generic('cloudformation.amazonaws.com', 'DescribeStacks', true, null), 2],
  ];
  if (d) {
    ops.push([ecsDescribe(d.cluster, `${d.service}-api`), 4], [ssmParam(d.paramPrefix), 2], [ecsUpdate(d.cluster, `${d.service}-api`), 1]);
    for (const b of d.buckets) ops.push([s3List(b), 2], [s3Object(b, 'GetObject'), 2]);
  }
  return ops;
}

export function pick(rng: Rng, ops: WeightedOps): Op {
  let total = 0;
  for (const [, w] of ops) total += w;
  let r = rng.next() * total;
  for (const [op, w] of ops) {
    r -= w;
    if (r < 0) return op;
  }
  return ops[ops.length - 1][0];
}
