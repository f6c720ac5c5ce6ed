/**
 * Scratch benchmark: how fast the aws-cloudtrail connector turns records into canonical records, on
 * one core, without a store. Run: npx tsx evals/bench-cloudtrail-parse.ts [events] [--gzip] [--ndjson]
 *
 * The events are a typical trail mix: role sessions reading S3 and calling EC2/KMS/STS, IAM users
 * with access keys, service calls, a few AssumeRole and failures. It prints the JSON read rate (the
 * shared reader alone) beside the connector's rate, so that the transform's own cost is visible.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { connector } from '../src/connectors/aws-cloudtrail/index.js';
import { readJsonRecords } from '../src/connectors/shared/json-records.js';
import { openSourceFile } from '../src/connectors/shared/source-file.js';

const N = Number(process.argv[2] ?? 200_000);
const gzip = process.argv.includes('--gzip');
const ndjson = process.argv.includes('--ndjson');

function record(i: number): object {
  const t = new Date(Date.UTC(2024, 4, 1) + i * 50).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const role = `app-${i % 40}`;
  const session = {
    type: 'AssumedRole', principalId: `AROAEXAMPLE${i % 40}:i-0abc${i % 97}`, arn: `arn:aws:sts::111122223333:assumed-role/${role}/i-0abc${i % 97}`,
    accountId: '111122223333', accessKeyId: `ASIAEXAMPLE${(i % 500).toString().padStart(9, '0')}`,
    sessionContext: { sessionIssuer: { type: 'Role', principalId: `AROAEXAMPLE${i % 40}`, arn: `arn:aws:iam::111122223333:role/${role}`, accountId: '111122223333', userName: role },
      webIdFederationData: {}, attributes: { creationDate: t, mfaAuthenticated: 'false' } },
  };
  const user = { type: 'IAMUser', principalId: `AIDAEXAMPLE${i % 30}`, arn: `arn:aws:iam::111122223333:user/ci-${i % 30}`, accountId: '111122223333',
    accessKeyId: `AKIAEXAMPLE${(i % 30).toString().padStart(9, '0')}`, userName: `ci-${i % 30}` };
  const base = { eventVersion: '1.09', eventTime: t, awsRegion: 'us-east-1', sourceIPAddress: `198.51.100.${i % 250}`, userAgent: 'aws-sdk-java/2.20.0 Linux/5.10 OpenJDK_64-Bit_Server_VM/17',
    requestID: `req-${i}`, eventID: `0b7c4a8e-${i.toString(16).padStart(8, '0')}-4c1e-9d3a-2f1f8a${(i % 1000).toString().padStart(6, '0')}`,
    readOnly: true, eventType: 'AwsApiCall', managementEvent: true, recipientAccountId: '111122223333', eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'ec2.us-east-1.amazonaws.com' } };
  switch (i % 10) {
    case 0: case 1: case 2:
      return { ...base, userIdentity: session, eventSource: 's3.amazonaws.com', eventName: 'GetObject', managementEvent: false, eventCategory: 'Data',
        requestParameters: { bucketName: `data-${i % 12}`, Host: `data-${i % 12}.s3.amazonaws.com`, key: `reports/2024/05/${i}.csv` },
        responseElements: null, additionalEventData: { SignatureVersion: 'SigV4', CipherSuite: 'TLS_AES_128_GCM_SHA256', bytesTransferredIn: 0, AuthenticationMethod: 'AuthHeader', 'x-amz-id-2': 'abc', bytesTransferredOut: 1234 },
        resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::data-${i % 12}/reports/2024/05/${i}.csv` }, { accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::data-${i % 12}` }] };
    case 3: case 4:
      return { ...base, userIdentity: session, eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances', requestParameters: { instancesSet: {}, filterSet: {} }, responseElements: null };
    case 5:
      return { ...base, userIdentity: user, eventSource: 'kms.amazonaws.com', eventName: 'Decrypt', requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { 'aws:lambda:FunctionArn': 'arn:aws:lambda:us-east-1:111122223333:function:f' } },
        responseElements: null, resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' }] };
    case 6:
      return { ...base, userIdentity: user, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', readOnly: false,
        requestParameters: { roleArn: `arn:aws:iam::111122223333:role/app-${i % 40}`, roleSessionName: `ci-${i}`, durationSeconds: 3600 },
        responseElements: { credentials: { accessKeyId: `ASIANEW${i.toString().padStart(13, '0')}`, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLETOKEN'.repeat(8), expiration: 'May 1, 2024, 1:00:00 PM' },
          assumedRoleUser: { assumedRoleId: `AROAEXAMPLE:ci-${i}`, arn: `arn:aws:sts::111122223333:assumed-role/app-${i % 40}/ci-${i}` } } };
    case 7:
      return { ...base, userIdentity: { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' }, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', sourceIPAddress: 'lambda.amazonaws.com', userAgent: 'lambda.amazonaws.com',
        requestParameters: { roleArn: `arn:aws:iam::111122223333:role/fn-${i % 25}`, roleSessionName: `fn-${i % 25}` },
        responseElements: { credentials: { accessKeyId: `ASIAFN${i.toString().padStart(14, '0')}`, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE', expiration: 'May 1, 2024, 1:00:00 PM' } } };
    case 8:
      return { ...base, userIdentity: session, eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue', requestParameters: { secretId: `arn:aws:secretsmanager:us-east-1:111122223333:secret:db-${i % 7}-AbCdEf` }, responseElements: null };
    default:
      return { ...base, userIdentity: session, eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.', readOnly: false,
        requestParameters: { instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] }, instanceType: 't3.micro' }, responseElements: null };
  }
}

const dir = process.env.KEEP ?? mkdtempSync(join(tmpdir(), 'bench-ct-'));
const path = join(dir, `trail.${ndjson ? 'ndjson' : 'json'}${gzip ? '.gz' : ''}`);
/** In a function of its own, so that the generated records are garbage before the timing starts. */
function writeTrail(): void {
  const records = Array.from({ length: N }, (_, i) => record(i));
  const text = ndjson ? records.map((r) => JSON.stringify(r)).join('\n') : JSON.stringify({ Records: records });
  writeFileSync(path, gzip ? gzipSync(text) : text);
  console.log(`${N} events, ${(text.length / N).toFixed(0)} bytes/event, ${(text.length / 1e6).toFixed(1)} MB, ${ndjson ? 'NDJSON' : 'as delivered ({"Records": [...]})'}${gzip ? ', gzipped' : ''}`);
}
writeTrail();

/**
 * Best of three runs after a warm-up, as wall time and as CPU time of this process: on a shared
 * machine the CPU figure is the steadier one (it includes V8's helper threads, so it slightly
 * overstates the cost on one core), and the best run is the one least disturbed by neighbours.
 */
async function timeIt(label: string, run: () => Promise<number>): Promise<void> {
  await run(); // warm-up: JIT and caches
  let wall = Infinity;
  let cpu = Infinity;
  let n = 0;
  for (let i = 0; i < 3; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    n = await run();
    wall = Math.min(wall, (performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6);
  }
  const rate = (s: number) => Math.round(n / s).toLocaleString('en');
  console.log(`${label.padEnd(24)} ${n} records: wall ${wall.toFixed(2)} s = ${rate(wall)} events/s; cpu ${cpu.toFixed(2)} s = ${rate(cpu)} events/cpu-s`);
}

await timeIt('readJsonRecords only', async () => {
  const f = await openSourceFile(path);
  let n = 0;
  for await (const b of readJsonRecords(f, ['Records'])) n += b.length;
  return n;
});
let rejects = 0;
await timeIt('aws-cloudtrail parse', async () => {
  const f = await openSourceFile(path);
  let n = 0;
  rejects = 0;
  for await (const items of connector.parse(f, { now: new Date() })) {
    for (const it of items) {
      n++;
      if (it.reject) rejects++;
    }
  }
  return n;
});
console.log(`rejects: ${rejects}`);
if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
