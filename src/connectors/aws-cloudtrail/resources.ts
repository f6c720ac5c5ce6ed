import type { Json } from './envelope.js';
import { iamGroupArn, iamRoleArn, iamUserArn } from './ids.js';

/**
 * The resources an event names: CloudTrail's own `resources[].ARN` plus ARNs rebuilt from the request
 * (most management events and many data events leave `resources` empty). `target` is the one the
 * action is about: the role assumed, the user or key changed, the object read.
 */
export interface Named {
  target: string | null;
  resources: string[];
}

const MAX_RESOURCES = 50;
const EMPTY: Json = Object.freeze({});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);

export function namedResources(source: string, action: string, rq: Json | null, re: Json | null, listed: unknown, account: string | null, region: string | null): Named {
  const out: string[] = [];
  const acct = account ?? '';
  const reg = region ?? '';
  {
    // Responses name what was made even when the request names nothing (CreateAccessKey for oneself).
    const rp = rq ?? EMPTY;
    switch (source) {
      case 's3.amazonaws.com': {
        const bucket = str(rp.bucketName);
        if (bucket) {
          const key = str(rp.key);
          if (key) add(out, `arn:aws:s3:::${bucket}/${key}`);
          add(out, `arn:aws:s3:::${bucket}`);
        }
        break;
      }
      case 'iam.amazonaws.com': {
        const user = re ? obj(re.user) : null;
        const role = re ? obj(re.role) : null;
        const key = re ? obj(re.accessKey) : null;
        add(out, (user && str(user.arn)) ?? (str(rp.userName) && account ? iamUserArn(acct, rp.userName as string) : null));
        add(out, (role && str(role.arn)) ?? (str(rp.roleName) && account ? iamRoleArn(acct, rp.roleName as string) : null));
        if (str(rp.groupName) && account) add(out, iamGroupArn(acct, rp.groupName as string));
        const keyId = (key && str(key.accessKeyId)) ?? str(rp.accessKeyId);
        if (keyId) add(out, `aws:access-key:${keyId}`);
        break;
      }
      case 'secretsmanager.amazonaws.com': {
        add(out, secretArn(str(rp.secretId) ?? (re && str(re.arn)) ?? str(rp.name), acct, reg));
        if (Array.isArray(rp.secretIdList)) for (const s of rp.secretIdList) add(out, secretArn(str(s), acct, reg));
        break;
      }
      case 'ssm.amazonaws.com': {
        if (action.includes('Parameter')) {
          add(out, parameterArn(str(rp.name), acct, reg));
          add(out, parameterArn(str(rp.path), acct, reg));
          if (Array.isArray(rp.names)) for (const n of rp.names) add(out, parameterArn(str(n), acct, reg));
        }
        break;
      }
      case 'kms.amazonaws.com': {
        const key = str(rp.keyId);
        if (key) add(out, key.startsWith('arn:') ? key : `arn:aws:kms:${reg}:${acct}:${key.startsWith('alias/') ? key : `key/${key}`}`);
        break;
      }
      case 'lambda.amazonaws.com': {
        const fn = str(rp.functionName);
        if (fn) add(out, fn.startsWith('arn:') ? fn : `arn:aws:lambda:${reg}:${acct}:function:${fn}`);
        break;
      }
      case 'dynamodb.amazonaws.com': {
        const table = str(rp.tableName);
        if (table) add(out, table.startsWith('arn:') ? table : `arn:aws:dynamodb:${reg}:${acct}:table/${table}`);
        break;
      }
      case 'sqs.amazonaws.com': {
        add(out, queueArn(str(rp.queueUrl)));
        break;
      }
      case 'ec2.amazonaws.com': {
        const instance = str(rp.instanceId);
        if (instance) add(out, `arn:aws:ec2:${reg}:${acct}:instance/${instance}`);
        break;
      }
    }
    // Whatever else the request names by ARN: roleArn, policyArn, topicArn, principalArn, ...
    for (const k in rp) {
      const v = rp[k];
      if (typeof v === 'string' && v.startsWith('arn:') && (k.endsWith('Arn') || k.endsWith('ARN'))) add(out, v);
    }
  }
  if (Array.isArray(listed)) {
    for (const r of listed) {
      const o = obj(r);
      if (o) add(out, str(o.ARN) ?? str(o.arn));
    }
  }
  const requested = rq && source === 'sts.amazonaws.com' ? str(rq.roleArn) : null;
  const roleArn = requested?.startsWith('arn:') ? requested : null;
  return { target: roleArn ?? out[0] ?? null, resources: out };
}

// A module function rather than a closure: this runs for every event.
function add(out: string[], arn: string | null): void {
  if (arn && out.length < MAX_RESOURCES && !out.includes(arn)) out.push(arn);
}

function secretArn(id: string | null, account: string, region: string): string | null {
  if (!id) return null;
  return id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${region}:${account}:secret:${id}`;
}

function parameterArn(name: string | null, account: string, region: string): string | null {
  if (!name) return null;
  if (name.startsWith('arn:')) return name;
  return `arn:aws:ssm:${region}:${account}:parameter/${name.startsWith('/') ? name.slice(1) : name}`;
}

/** https://sqs.us-east-1.amazonaws.com/111122223333/name -> arn:aws:sqs:us-east-1:111122223333:name */
function queueArn(url: string | null): string | null {
  if (!url) return null;
  const m = /^https?:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(\d{12})\/([^/?#]+)/.exec(url);
  return m ? `arn:aws:sqs:${m[1]}:${m[2]}:${m[3]}` : null;
}
