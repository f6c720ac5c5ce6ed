import { beforeAll, describe, expect, it } from 'vitest';
import { ActionCatalog, classifyStatement } from '../../../src/lib/aws/privilege.js';
import { builtinPolicy, privilegeFromPolicyName } from '../../../src/lib/aws/managed-policies.js';

describe('privilege classification', () => {
  const catalog = new ActionCatalog();
  const level = (actions: string[], resources = ['*'], notActions: string[] = []) => catalog.statementPrivilege({ actions, notActions, resources });
  beforeAll(async () => {
    await catalog.ensureServices(['iam', 's3', 'sts', 'secretsmanager', 'ssm', 'ec2', 'lambda', 'ecr', 'dynamodb', 'kms', 'logs', 'cloudtrail']);
  });

  it('admin: * on *, and Allow with NotAction', () => {
    expect(level(['*'])).toBe('admin');
    expect(level(['*:*'])).toBe('admin');
    expect(level([], ['*'], ['iam:*'])).toBe('admin');
  });

  it('privesc: permission changes, PassRole, code running as a role, and the "Permissions management" level', () => {
    expect(level(['iam:PassRole'], ['arn:aws:iam::111122223333:role/x'])).toBe('privesc');
    expect(level(['iam:CreatePolicyVersion'])).toBe('privesc');
    expect(level(['lambda:UpdateFunctionCode'])).toBe('privesc');
    expect(level(['iam:*'])).toBe('privesc');
    // Permissions management in the catalogue, in no hand-kept list.
    expect(level(['s3:PutBucketPolicy'])).toBe('privesc');
    expect(level(['kms:CreateGrant'])).toBe('privesc');
  });

  it('credential: actions that mint or read secrets, whatever the catalogue calls them', () => {
    expect(level(['iam:CreateAccessKey'])).toBe('credential');
    expect(level(['sts:AssumeRole'])).toBe('credential');
    expect(level(['secretsmanager:GetSecretValue'])).toBe('credential');
    expect(level(['ssm:GetParametersByPath'])).toBe('credential');
    expect(level(['ecr:GetAuthorizationToken'])).toBe('credential');
  });

  it('write and read from the catalogue access levels', () => {
    expect(level(['s3:PutObject'])).toBe('write');
    expect(level(['ec2:CreateTags'])).toBe('write'); // Tagging
    expect(level(['s3:GetObject', 's3:ListBucket'])).toBe('read');
    expect(level(['dynamodb:Query'])).toBe('read');
  });

  it('expands wildcards against the catalogue, so a Get* that covers a secret read is credential', () => {
    expect(level(['s3:Get*'])).toBe('read');
    expect(level(['ec2:Describe*'])).toBe('read');
    expect(level(['secretsmanager:Get*'])).toBe('credential');
    expect(level(['ssm:Get*'])).toBe('credential');
    expect(level(['s3:*'])).toBe('privesc'); // s3:PutBucketPolicy is in it
    expect(catalog.expand('iam:Put*Policy')).toEqual(expect.arrayContaining(['iam:putuserpolicy', 'iam:putrolepolicy', 'iam:putgrouppolicy']));
    expect(catalog.expand('iam:Put*Policy')).not.toContain('iam:passrole');
  });

  it('is case-insensitive and takes the highest level in a statement', () => {
    expect(level(['S3:getobject', 'IAM:PASSROLE'])).toBe('privesc');
  });

  it('* on specific resources counts as service:* for the services of those resources', () => {
    expect(level(['*'], ['arn:aws:cloudtrail:us-east-1:111122223333:trail/audit'])).toBe('write');
    expect(level(['*'], ['arn:aws:s3:::bucket', 'arn:aws:iam::111122223333:role/x'])).toBe('privesc');
    expect(level(['*'], ['arn:aws:s3:::bucket', '*'])).toBe('admin');
  });

  it('guesses by verb for services the catalogue does not list, and loads services on demand', async () => {
    expect(level(['madeupservice:GetThing'])).toBe('read');
    expect(level(['madeupservice:DeleteThing'])).toBe('write');
    expect(await classifyStatement({ actions: ['codebuild:StartBuild'], resources: ['*'] }, catalog)).toBe('privesc');
    expect(await classifyStatement({ actions: ['rds-db:connect'], resources: ['*'] }, catalog)).toBe('credential');
    expect(await classifyStatement({ actions: ['glacier:ListVaults'], resources: ['*'] }, catalog)).toBe('read');
  });
});

describe('well-known managed policies', () => {
  it('ships documents for the common AWS-managed policies in any partition', () => {
    expect(builtinPolicy('arn:aws:iam::aws:policy/AdministratorAccess')?.document.Statement).toEqual([{ Effect: 'Allow', Action: '*', Resource: '*' }]);
    expect(builtinPolicy('arn:aws-us-gov:iam::aws:policy/PowerUserAccess')?.name).toBe('PowerUserAccess');
    expect(builtinPolicy('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')?.abridged).toBe(false);
    // A customer policy that happens to share the name is not AWS's.
    expect(builtinPolicy('arn:aws:iam::111122223333:policy/AdministratorAccess')).toBeNull();
  });

  it('classifies the shipped documents as a reviewer would', async () => {
    const privilegeOf = async (name: string) => {
      const doc = builtinPolicy(`arn:aws:iam::aws:policy/${name}`)!.document;
      let best = 'read';
      const rank = ['read', 'write', 'credential', 'privesc', 'admin'];
      for (const st of doc.Statement) {
        const arr = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]) as string[];
        const p = await classifyStatement({ actions: arr(st.Action), notActions: arr(st.NotAction), resources: arr(st.Resource) });
        if (rank.indexOf(p) > rank.indexOf(best)) best = p;
      }
      return best;
    };
    expect(await privilegeOf('AdministratorAccess')).toBe('admin');
    expect(await privilegeOf('PowerUserAccess')).toBe('admin');
    expect(await privilegeOf('IAMFullAccess')).toBe('privesc');
    expect(await privilegeOf('IAMReadOnlyAccess')).toBe('read');
    expect(await privilegeOf('AmazonS3ReadOnlyAccess')).toBe('read');
    expect(await privilegeOf('AmazonSSMReadOnlyAccess')).toBe('credential');
    expect(await privilegeOf('AWSLambdaBasicExecutionRole')).toBe('write');
    expect(await privilegeOf('SecurityAudit')).toBe('read');
  });

  it('infers a privilege from the name alone when no document exists', () => {
    expect(privilegeFromPolicyName('AWSCodeArtifactReadOnlyAccess')).toBe('read');
    expect(privilegeFromPolicyName('AWSLambdaReadOnlyAccess')).toBe('read');
    expect(privilegeFromPolicyName('AmazonMSKFullAccess')).toBe('write');
    expect(privilegeFromPolicyName('IAMUserChangePassword')).toBe('write');
    expect(privilegeFromPolicyName('AWSSSOMasterAccountAdministrator')).toBe('admin');
    expect(privilegeFromPolicyName('IAMFullAccess')).toBe('privesc');
  });
});
