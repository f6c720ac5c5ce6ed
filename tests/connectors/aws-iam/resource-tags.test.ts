import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connector } from '../../../src/connectors/aws-resource-tags/index.js';
import { fingerprint } from '../../../src/lib/secrets.js';
import { FIXTURES, parseFile, parseText } from './helpers.js';

const FIXTURE = join(FIXTURES, 'resource-tags.json');

describe('aws-resource-tags', async () => {
  const p = await parseFile(connector, FIXTURE);
  const res = (id: string) => p.of('resource').find((r) => r.id === id);

  it('detects get-resources output', () => {
    expect(connector.detect({ path: FIXTURE, name: 'resource-tags.json', head: readFileSync(FIXTURE, 'utf8') })).toBeGreaterThan(0.9);
    expect(connector.detect({ path: 'x.json', name: 'x.json', head: '{"UserDetailList": []}' })).toBe(0);
  });

  it('reads one resource per mapping and rejects mappings without a usable ARN', () => {
    expect(p.of('resource')).toHaveLength(7);
    expect(p.rejects.map((r) => [r.index, r.reject])).toEqual([[7, 'missing ResourceARN'], [8, 'ResourceARN: "not-an-arn" is not an ARN']]);
  });

  it('derives type, name and account from the ARN', () => {
    expect(p.of('resource').map((r) => [r.type, r.name, r.account])).toEqual([
      ['s3:bucket', 'example-customer-exports', null],
      ['rds:db', 'orders database', '111122223333'],
      ['secretsmanager:secret', 'deploy/github-token-AbCdEf', '111122223333'],
      ['dynamodb:table', 'sessions-dev', '111122223333'],
      ['sqs:queue', 'deploy-jobs', '111122223333'],
      ['ec2:instance', 'web-1', '111122223333'],
      ['lambda:function', 'thumbnailer', '111122223333'],
    ]);
    expect(res('arn:aws:rds:us-east-1:111122223333:db:orders-prod')?.attributes).toMatchObject({ arnName: 'orders-prod', region: 'us-east-1', service: 'rds' });
  });

  it('classifies data from tags, synonyms and the strictest of several tags', () => {
    expect(p.of('resource').map((r) => r.classification)).toEqual(['restricted', 'confidential', 'restricted', 'restricted', null, null, 'public']);
    expect(res('arn:aws:s3:::example-customer-exports')?.attributes).toMatchObject({ classificationSource: 'tag:data-classification' });
    expect(res('arn:aws:dynamodb:eu-west-1:111122223333:table/sessions-dev')?.attributes).toMatchObject({ classificationSource: 'tag:classification' });
    expect(res('arn:aws:ec2:us-east-1:111122223333:instance/i-0abc123def4567890')?.attributes).toMatchObject({ unrecognisedClassification: ['classification=orange'] });
  });

  it('reads the environment from tags, else from the name', () => {
    expect(p.of('resource').map((r) => r.environment)).toEqual(['prod', 'prod', 'staging', 'dev', 'unknown', 'staging', 'unknown']);
  });

  it('never keeps a secret found in a tag', () => {
    const tags = res('arn:aws:secretsmanager:us-east-1:111122223333:secret:deploy/github-token-AbCdEf')?.tags;
    expect(tags?.api_token).toBe(fingerprint('ghp_EXAMPLEEXAMPLEEXAMPLEEXAMPLE000000'));
    expect(JSON.stringify(p.items)).not.toContain('ghp_EXAMPLE');
  });

  it('refuses a truncated file with its line', async () => {
    const text = readFileSync(FIXTURE, 'utf8');
    const cut = text.slice(0, text.indexOf('"arn:aws:sqs'));
    await expect(parseText(connector, 'tags.json', cut)).rejects.toThrow(new RegExp(`^tags\\.json:${cut.split('\n').length}: unexpected end of file`));
  });
});
