import type { Cast } from './accounts.js';
import type { Background } from './cloudtrail/traffic.js';
import { roleRef } from './cloudtrail/traffic.js';
import {
  accessDenied, assumeRole, assumedRoleIdentity, consoleLogin, hostFor, iamUserIdentity, toRecord, type TrailRecord, type UserIdentity,
} from './cloudtrail/records.js';
import { ec2Read, generic, iamRead, kms, objectKey, s3BucketRead, s3List, s3ListBuckets, s3Object, type Op } from './cloudtrail/ops.js';
import type { Employee, Org } from './org.js';
import type { Plan } from './plan.js';
import { awsId, type Rng } from './rng.js';
import type { GroundTruthIncident } from './schema.js';
import { DAY, HOUR, MINUTE, localClock, stsExpiration } from './time.js';
import { AI_UA, HOSTING_OCTETS, UA, VENDOR_UA, publicIp } from './vocab.js';

/**
 * The five planted incidents, scripted into the log window, and their ground truth. Each has benign
 * look-alikes elsewhere in the estate (see accounts.ts and cloudtrail/*): the engines have to tell them
 * apart from behaviour and configuration, not from names.
 */
export interface IncidentContext {
  root: Rng;
  t0: number;
  days: number;
  org: Org;
  plan: Plan;
  cast: Cast;
  background: Background;
  schedule: (r: TrailRecord) => void;
}

const day = (c: IncidentContext, k: number) => c.t0 + Math.max(0, Math.min(c.days - 1, k)) * DAY;

/** A time on day k at a local hour (fractional) of someone's office. */
function localTime(c: IncidentContext, k: number, e: Employee, localHour: number, rng: Rng): number {
  return day(c, k) + Math.round((localHour - e.office.utcOffset) * HOUR) + rng.int(0, 20) * MINUTE + rng.int(0, 59) * 1000;
}

function call(rng: Rng, t: number, identity: UserIdentity, account: string, region: string, ip: string, ua: string, op: Op, extra: { consoleSession?: boolean } = {}): TrailRecord {
  const o = op(rng, t);
  return toRecord(rng, { ...o, t, identity, ip, ua, account, region, host: o.host ?? hostFor(o.source, region), ...extra });
}

export function plantIncidents(c: IncidentContext): GroundTruthIncident[] {
  return [aiAssistant(c), offboardedKey(c), interactiveServiceUser(c), devKeyInProd(c), vendorAdmin(c)];
}

/** 1. An AI coding assistant, acting for an engineer, reads restricted customer data through the production CI role. */
function aiAssistant(c: IncidentContext): GroundTruthIncident {
  const rng = c.root.fork('incident/ai');
  const e = c.cast.aiEngineer;
  const { account: idAccount, user } = c.cast.humans.get(e)!;
  const key = [...user.keys].reverse().find((k) => k.active)!;
  const prod = c.plan.byEnv.prod[0];
  const ci = c.cast.ciRoles.get(prod.id)!;
  const bucket = c.cast.restrictedBucket!;
  const t = localTime(c, c.days - 1, e, 2.2, rng);
  const ua = AI_UA[0];
  const ip = e.homeIp;
  const sessionName = `botocore-session-${Math.floor(t / 1000)}`;
  const { records, session: s } = assumeRole(rng, {
    t, region: bucket.region, caller: iamUserIdentity({ accountId: idAccount, arn: user.arn, userId: user.id, userName: user.name, keyId: key.id }),
    callerAccount: idAccount, callerPrincipalId: user.id, role: roleRef(prod.id, ci), sessionName, ip, ua, sourceIdentity: e.email,
  });
  records.forEach(c.schedule);
  const identity = assumedRoleIdentity(s!);
  let tt = t + 4000;
  const step = (op: Op, gap: number) => {
    tt += gap;
    c.schedule(call(rng, tt, identity, prod.id, bucket.region, ip, ua, op));
  };
  step(generic('sts.amazonaws.com', 'GetCallerIdentity', true), 1500);
  step(s3ListBuckets, 2500);
  step(s3BucketRead(bucket, 'GetBucketLocation'), 1200);
  for (const prefix of ['customers/', 'customers/2026-10/', 'customers/2026-09/']) step(s3List(bucket, prefix), rng.int(800, 2500));
  const reads = rng.int(140, 200);
  for (let i = 0; i < reads; i++) {
    const k = objectKey(rng, t - rng.int(0, 60) * DAY, 'data');
    step(s3Object(bucket, 'GetObject', k), rng.int(300, 4000));
  }
  return {
    id: 'gt-1-ai-assistant-ci-role-customer-data',
    title: `AI coding assistant acting for ${e.email} assumed the production CI role and read the restricted customer-data bucket at night`,
    severity: 'critical',
    rootIdentity: user.arn,
    chain: [user.arn, `aws:access-key:${key.id}`, ci.arn],
    actions: [
      { action: 'revoke_sessions', target: ci.arn },
      { action: 'remove_trust', target: ci.arn },
      { action: 'scope_down_policy', target: ci.arn },
      { action: 'contact_owner', target: user.arn },
      { action: 'investigate', target: bucket.arn },
    ],
  };
}

/** 2. A leaver's forgotten key, dormant for months, comes alive from a network never seen. */
function offboardedKey(c: IncidentContext): GroundTruthIncident {
  const rng = c.root.fork('incident/leaver');
  const e = c.cast.leaver;
  const { account, user } = c.cast.humans.get(e)!;
  const key = user.keys[user.keys.length - 1];
  const t = day(c, c.days - 2) + rng.int(3, 4) * HOUR + rng.int(0, 59) * MINUTE;
  const ip = publicIp(rng, HOSTING_OCTETS);
  const ua = 'aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0-18-amd64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#debian.12 md/prompt#off md/command#COMMAND';
  const identity = iamUserIdentity({ accountId: account, arn: user.arn, userId: user.id, userName: user.name, keyId: key.id });
  let tt = t;
  const call = (op: Op, denied?: string) => {
    tt += rng.int(2, 40) * 1000;
    const o = op(rng, tt);
    const d = denied ? accessDenied(user.arn, denied, o.source === 's3.amazonaws.com' ? 'arn:aws:s3:::*' : user.arn) : null;
    c.schedule(toRecord(rng, {
      ...o, t: tt, identity, ip, ua, account, region: 'us-east-1', host: o.host ?? hostFor(o.source, 'us-east-1'),
      errorCode: d?.code, errorMessage: o.source === 's3.amazonaws.com' && d ? 'Access Denied' : d?.message, response: d ? null : o.response,
    }));
  };
  call(generic('sts.amazonaws.com', 'GetCallerIdentity', true));
  call(iamRead('GetUser'));
  call(iamRead('ListAttachedUserPolicies', { userName: user.name }), 'iam:ListAttachedUserPolicies');
  call(iamRead('ListGroupsForUser', { userName: user.name }), 'iam:ListGroupsForUser');
  call(s3ListBuckets, 's3:ListAllMyBuckets');
  call(iamRead('ListRoles'), 'iam:ListRoles');
  for (const acct of [c.plan.byEnv.prod[0], c.plan.byEnv.staging[0], c.plan.byEnv.dev[0]]) {
    tt += rng.int(5, 30) * 1000;
    const role = c.cast.ciRoles.get(acct.id)!;
    const target = { accountId: acct.id, name: 'EngineerAccess', arn: `arn:aws:iam::${acct.id}:role/EngineerAccess`, id: role.id };
    const { records } = assumeRole(rng, {
      t: tt, region: 'us-east-1', caller: identity, callerAccount: account, callerPrincipalId: user.id, role: target, sessionName: user.name, ip, ua,
      denied: accessDenied(user.arn, 'sts:AssumeRole', target.arn),
    });
    records.forEach(c.schedule);
  }
  call(iamRead('ListAccessKeys', { userName: user.name }));
  tt += rng.int(10, 60) * 1000;
  const newKey = awsId(rng, 'AKIA');
  c.schedule(toRecord(rng, {
    t: tt, identity, ip, ua, account, region: 'us-east-1', source: 'iam.amazonaws.com', name: 'CreateAccessKey', readOnly: false, host: 'iam.amazonaws.com',
    request: { userName: user.name },
    response: { accessKey: { userName: user.name, accessKeyId: newKey, status: 'Active', createDate: stsExpiration(tt) } },
  }));
  return {
    id: 'gt-2-offboarded-employee-key',
    title: `Access key of ${e.email}, who left on ${new Date(e.endDate!).toISOString().slice(0, 10)}, used from a new network after months unused`,
    severity: 'critical',
    rootIdentity: user.arn,
    chain: [user.arn, `aws:access-key:${key.id}`],
    actions: [
      { action: 'deactivate_credential', target: `aws:access-key:${key.id}` },
      { action: 'deactivate_credential', target: `aws:access-key:${newKey}` },
      { action: 'disable_identity', target: user.arn },
      { action: 'investigate', target: user.arn },
    ],
  };
}

/** 3. A service user signs in to the console and is driven by hand from a browser. */
function interactiveServiceUser(c: IncidentContext): GroundTruthIncident {
  const rng = c.root.fork('incident/interactive');
  const { account, user } = c.cast.interactiveUser!;
  const e = c.cast.consoleHuman;
  // The latest working day in the window, local to the person at the keyboard.
  let k = c.days - 1;
  for (let i = c.days - 1; i >= 0; i--) {
    const wd = localClock(day(c, i) + 12 * HOUR, e.office.utcOffset).weekday;
    if (wd !== 0 && wd !== 6) {
      k = i;
      break;
    }
  }
  const t = localTime(c, k, e, rng.int(10, 15), rng);
  const office = c.org.officeIps.get(e.office.name) ?? [];
  const ip = office.length ? office[0] : e.homeIp;
  const ua = UA.chromeMac;
  c.schedule(consoleLogin(rng, { t, identity: iamUserIdentity({ accountId: account, arn: user.arn, userId: user.id, userName: user.name }), account, ip, ua, mfa: false }));
  const identity = iamUserIdentity({ accountId: account, arn: user.arn, userId: user.id, userName: user.name, keyId: awsId(rng, 'ASIA'), consoleSession: { created: t, mfa: false } });
  const bucket = c.cast.interactiveUser!.bucket;
  const ops: Op[] = [...(bucket ? [s3List(bucket), s3Object(bucket, 'GetObject'), s3BucketRead(bucket, 'GetBucketLocation')] : []), s3ListBuckets, ec2Read('DescribeInstances'), generic('monitoring.amazonaws.com', 'DescribeAlarms', true, { maxRecords: 100 }), generic('cloudtrail.amazonaws.com', 'LookupEvents', true, { maxResults: 50 }), generic('athena.amazonaws.com', 'ListWorkGroups', true, null)];
  let tt = t;
  const calls = rng.int(18, 30);
  for (let i = 0; i < calls; i++) {
    tt += rng.int(20, 150) * 1000;
    const op = i === 5 || i === 12 ? iamRead('ListUsers') : rng.pick(ops);
    const o = op(rng, tt);
    // Its policy is the reporting job's: S3 works, everything a person clicks on besides is denied.
    const action = `${o.source.slice(0, o.source.indexOf('.')).replace('monitoring', 'cloudwatch')}:${o.name}`;
    const d = o.source === 's3.amazonaws.com' ? null : accessDenied(user.arn, action, '*');
    c.schedule(toRecord(rng, { ...o, t: tt, identity, ip, ua, account, region: 'us-east-1', host: o.host ?? hostFor(o.source, 'us-east-1'), consoleSession: true, errorCode: d?.code, errorMessage: d?.message, response: d ? null : o.response }));
  }
  return {
    id: 'gt-3-service-account-used-interactively',
    title: `Service user ${user.name} signed in to the console without MFA and was used by hand from a browser`,
    severity: 'high',
    rootIdentity: user.arn,
    chain: [user.arn],
    actions: [
      { action: 'deactivate_credential', target: `aws:password:${user.arn}` },
      { action: 'revoke_sessions', target: user.arn },
      { action: 'contact_owner', target: user.arn },
      { action: 'investigate', target: user.arn },
    ],
  };
}

/** 4. A development service user's key reaches into production through a role that trusts the whole dev account. */
function devKeyInProd(c: IncidentContext): GroundTruthIncident {
  const rng = c.root.fork('incident/dev-prod');
  const { account: devAccount, user } = c.cast.devUser!;
  const { account: prodAccount, role } = c.cast.replicationRole!;
  const bucket = c.cast.replicationBucket!;
  const key = [...user.keys].reverse().find((x) => x.active)!;
  const ip = c.background.network(devAccount, c.plan.byEnv.dev[0].regions[0]).nat[0];
  const caller = iamUserIdentity({ accountId: devAccount, arn: user.arn, userId: user.id, userName: user.name, keyId: key.id });
  const first = Math.max(0, c.days - 3);
  for (let k = first; k < c.days; k++) {
    const t = day(c, k) + 15 * HOUR + rng.int(0, 40) * MINUTE;
    const { records, session: s } = assumeRole(rng, {
      t, region: bucket.region, caller, callerAccount: devAccount, callerPrincipalId: user.id, role: roleRef(prodAccount, role),
      sessionName: `ledger-sync-${Math.floor(t / 1000)}`, ip, ua: UA.python,
    });
    records.forEach(c.schedule);
    const identity = assumedRoleIdentity(s!);
    let tt = t;
    const step = (op: Op) => {
      tt += rng.int(200, 3000);
      c.schedule(call(rng, tt, identity, prodAccount, bucket.region, ip, UA.python, op));
    };
    step(s3List(bucket, 'exports/'));
    const kmsKey = c.cast.replicationRole!.keyArn;
    for (let i = rng.int(25, 45); i > 0; i--) {
      step(s3Object(bucket, 'GetObject'));
      if (i % 8 === 0) step(kms(kmsKey, 'Decrypt'));
    }
  }
  return {
    id: 'gt-4-dev-key-used-against-prod',
    title: `Development service user ${user.name} assumed a production role and read production ledger exports`,
    severity: 'high',
    rootIdentity: user.arn,
    chain: [user.arn, `aws:access-key:${key.id}`, role.arn],
    actions: [
      { action: 'remove_trust', target: role.arn },
      { action: 'revoke_sessions', target: role.arn },
      { action: 'rotate_credential', target: `aws:access-key:${key.id}` },
      { action: 'contact_owner', target: user.arn },
    ],
  };
}

/** 5. A third party's integration role holds AdministratorAccess and the vendor has started using it. */
function vendorAdmin(c: IncidentContext): GroundTruthIncident {
  const rng = c.root.fork('incident/vendor');
  const v = c.cast.vendorRoles.find((x) => x.vendor === c.cast.incidentVendor)!;
  const ips = [publicIp(rng, HOSTING_OCTETS), publicIp(rng, HOSTING_OCTETS)];
  const ua = VENDOR_UA[0];
  const vendorRole = `AROA${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 17)}`;
  const start = day(c, Math.max(0, c.days - 4)) + rng.int(9, 16) * HOUR;
  const reads: Op[] = [
    ec2Read('DescribeInstances'), ec2Read('DescribeSecurityGroups'), iamRead('ListRoles'), iamRead('ListUsers'), s3ListBuckets,
    generic('ssm.amazonaws.com', 'DescribeInstanceInformation', true, null), generic('lambda.amazonaws.com', 'ListFunctions20150331', true, { functionVersion: 'ALL' }),
  ];
  const writes: Op[] = [
    generic('ssm.amazonaws.com', 'SendCommand', false, { documentName: 'AWS-RunShellScript', instanceIds: ['HIDDEN_DUE_TO_SECURITY_REASONS'], parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS' }),
    generic('ec2.amazonaws.com', 'CreateSnapshot', false, { volumeId: 'vol-0' + rng.hex(16), description: 'automation' }),
  ];
  for (let t = start; t < c.t0 + c.days * DAY; t += rng.int(20, 45) * MINUTE) {
    const ip = rng.pick(ips);
    const { records, session: s } = assumeRole(rng, {
      t, region: 'us-east-1', caller: { type: 'AssumedRole', principalId: `${vendorRole}:runner` }, callerAccount: v.vendorAccount, callerPrincipalId: `${vendorRole}:runner`,
      role: roleRef(v.account, v.role), sessionName: `opsbridge-${rng.hex(10)}`, ip, ua, externalId: v.externalId ?? undefined, recordCaller: false,
    });
    records.forEach(c.schedule);
    const identity = assumedRoleIdentity(s!);
    let tt = t;
    for (let i = rng.int(3, 7); i > 0; i--) {
      tt += rng.int(1, 20) * 1000;
      c.schedule(call(rng, tt, identity, v.account, 'us-east-1', ip, ua, rng.chance(0.12) ? rng.pick(writes) : rng.pick(reads)));
    }
  }
  const root = `arn:aws:iam::${v.vendorAccount}:root`;
  return {
    id: 'gt-5-third-party-admin',
    title: `Third-party integration ${v.role.name} holds AdministratorAccess and is in use from the vendor's account ${v.vendorAccount}`,
    severity: 'high',
    rootIdentity: root,
    chain: [root, v.role.arn],
    actions: [
      { action: 'scope_down_policy', target: v.role.arn },
      { action: 'revoke_sessions', target: v.role.arn },
      { action: 'contact_owner', target: v.role.arn },
      { action: 'investigate', target: v.role.arn },
    ],
  };
}

/** The workloads whose job is to read the restricted bucket: steady service reads, a nightly load. */
export function plantRestrictedReaders(c: IncidentContext, eventsPerDay: number): void {
  const bucket = c.cast.restrictedBucket;
  if (!bucket) return;
  for (const r of c.cast.restrictedReaders) {
    const ops: [Op, number][] = r.schedule === 'steady'
      ? [[s3Object(bucket, 'GetObject'), 10], [s3Object(bucket, 'PutObject'), 3], [kms(r.deployment.keyArn, 'Decrypt'), 3]]
      : [[s3List(bucket, 'customers/'), 1], [s3Object(bucket, 'GetObject'), 12]];
    const perDay = (r.schedule === 'steady' ? 0.02 : 0.03) * eventsPerDay;
    c.background.addFixedRole({ id: r.account }, r.role, r.deployment, r.role.workload ?? 'ecs', perDay, r.schedule === 'steady' ? 'steady' : 'night', ops);
  }
}
