import { ALNUM, awsId, type Rng } from '../rng.js';
import { HOUR, ctTime, stsExpiration } from '../time.js';
import { agentFor } from '../vocab.js';

/**
 * CloudTrail records as AWS delivers them (eventVersion 1.10 field order and shapes): userIdentity per
 * principal type, AssumeRole* request/response elements, S3 data events with resources, console sign-in.
 */

export type UserIdentity = Record<string, unknown>;

/** A role session: what the credentials handed out by AssumeRole* let their holder be. */
export interface Session {
  accountId: string;
  roleName: string;
  /** Role ARN with its path, as sessionIssuer prints it. */
  roleArn: string;
  roleId: string;
  sessionName: string;
  /** The ASIA key id of the session credentials. */
  keyId: string;
  created: number;
  expires: number;
  mfa: boolean;
  sourceIdentity?: string;
  /** OIDC provider ARN for web-identity sessions. */
  webIdProvider?: string;
  /** EC2 instance credentials carry ec2RoleDelivery. */
  ec2?: boolean;
}

export function iamUserIdentity(u: { accountId: string; arn: string; userId: string; userName: string; keyId?: string; consoleSession?: { created: number; mfa: boolean } }): UserIdentity {
  const id: UserIdentity = { type: 'IAMUser', principalId: u.userId, arn: u.arn, accountId: u.accountId };
  if (u.keyId) id.accessKeyId = u.keyId;
  id.userName = u.userName;
  if (u.consoleSession) {
    id.sessionContext = { attributes: { creationDate: ctTime(u.consoleSession.created), mfaAuthenticated: String(u.consoleSession.mfa) } };
  }
  return id;
}

export function assumedRoleIdentity(s: Session): UserIdentity {
  const ctx: Record<string, unknown> = {
    sessionIssuer: { type: 'Role', principalId: s.roleId, arn: s.roleArn, accountId: s.accountId, userName: s.roleName },
    webIdFederationData: s.webIdProvider ? { federatedProvider: s.webIdProvider, attributes: {} } : {},
    attributes: { creationDate: ctTime(s.created), mfaAuthenticated: String(s.mfa) },
  };
  if (s.ec2) ctx.ec2RoleDelivery = '2.0';
  if (s.sourceIdentity) ctx.sourceIdentity = s.sourceIdentity;
  return {
    type: 'AssumedRole',
    principalId: `${s.roleId}:${s.sessionName}`,
    arn: `arn:aws:sts::${s.accountId}:assumed-role/${s.roleName}/${s.sessionName}`,
    accountId: s.accountId,
    accessKeyId: s.keyId,
    sessionContext: ctx,
  };
}

export function awsServiceIdentity(service: string): UserIdentity {
  return { type: 'AWSService', invokedBy: service };
}

export function rootIdentity(accountId: string, keyId?: string, consoleSession?: { created: number; mfa: boolean }): UserIdentity {
  const id: UserIdentity = { type: 'Root', principalId: accountId, arn: `arn:aws:iam::${accountId}:root`, accountId };
  if (keyId) id.accessKeyId = keyId;
  if (consoleSession) id.sessionContext = { attributes: { creationDate: ctTime(consoleSession.created), mfaAuthenticated: String(consoleSession.mfa) } };
  return id;
}

/** How the account that owns a role sees a caller from another account. */
export function awsAccountIdentity(accountId: string, principalId: string): UserIdentity {
  return { type: 'AWSAccount', principalId, accountId };
}

export function webIdentityUser(providerArn: string, audience: string, subject: string): UserIdentity {
  return { type: 'WebIdentityUser', principalId: `${providerArn}:${audience}:${subject}`, userName: subject, identityProvider: providerArn };
}

/** One API call, before it becomes a record. */
export interface Call {
  t: number;
  identity: UserIdentity;
  source: string;
  name: string;
  region: string;
  ip: string;
  /** A user agent template (see vocab.agentFor) or a literal. */
  ua: string;
  /** Account whose trail records it. */
  account: string;
  readOnly: boolean;
  request?: unknown;
  response?: unknown;
  additional?: Record<string, unknown>;
  resources?: { accountId?: string; type: string; ARN: string }[];
  errorCode?: string;
  errorMessage?: string;
  eventType?: 'AwsApiCall' | 'AwsConsoleSignIn' | 'AwsServiceEvent';
  management?: boolean;
  sharedEventID?: string;
  vpcEndpointId?: string;
  consoleSession?: boolean;
  /** Host header for tlsDetails; omitted for calls AWS services make on their own. */
  host?: string;
}

/** A record ready for delivery: its time and the trail (account, region) that receives it. */
export interface TrailRecord {
  t: number;
  account: string;
  region: string;
  record: Record<string, unknown>;
}

export function toRecord(rng: Rng, c: Call): TrailRecord {
  const management = c.management ?? true;
  const r: Record<string, unknown> = {
    eventVersion: management ? '1.10' : '1.09',
    userIdentity: c.identity,
    eventTime: ctTime(c.t),
    eventSource: c.source,
    eventName: c.name,
    awsRegion: c.region,
    sourceIPAddress: c.ip,
    userAgent: agentFor(c.ua, c.source, c.name),
  };
  if (c.errorCode) r.errorCode = c.errorCode;
  if (c.errorMessage) r.errorMessage = c.errorMessage;
  r.requestParameters = c.request ?? null;
  r.responseElements = c.response ?? null;
  if (c.additional) r.additionalEventData = c.additional;
  r.requestID = c.source === 's3.amazonaws.com' ? rng.chars('0123456789ABCDEF', 16) : rng.uuid();
  r.eventID = rng.uuid();
  r.readOnly = c.readOnly;
  if (c.resources) r.resources = c.resources;
  r.eventType = c.eventType ?? 'AwsApiCall';
  r.managementEvent = management;
  r.recipientAccountId = c.account;
  if (c.sharedEventID) r.sharedEventID = c.sharedEventID;
  if (c.vpcEndpointId) {
    r.vpcEndpointId = c.vpcEndpointId;
    r.vpcEndpointAccountId = c.account;
  }
  r.eventCategory = management ? 'Management' : 'Data';
  if (c.host) r.tlsDetails = { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: c.host };
  if (c.consoleSession) r.sessionCredentialFromConsole = 'true';
  return { t: c.t, account: c.account, region: c.region, record: r };
}

/** The Host header an SDK sends for a service in a region. */
export function hostFor(source: string, region: string): string {
  const svc = source.slice(0, source.indexOf('.'));
  if (svc === 'iam') return 'iam.amazonaws.com';
  if (svc === 's3') return `s3.${region}.amazonaws.com`;
  return `${svc}.${region}.amazonaws.com`;
}

export function sessionToken(rng: Rng): string {
  // Shaped like a real STS token so that redaction is exercised; it authenticates nothing.
  return 'IQoJb3JpZ2luX2VjE' + rng.chars(ALNUM + '+/', 340) + '==';
}

export interface AssumeRoleArgs {
  t: number;
  region: string;
  /** Who calls, as the caller's own account records it. */
  caller: UserIdentity;
  callerAccount: string;
  /** principalId the role's account sees for a cross-account caller. */
  callerPrincipalId?: string;
  role: { accountId: string; name: string; arn: string; id: string };
  sessionName: string;
  ip: string;
  ua: string;
  durationSeconds?: number;
  sourceIdentity?: string;
  externalId?: string;
  mfaSerial?: string;
  /** A denied call: no credentials are issued. */
  denied?: { code: string; message: string };
  ec2?: boolean;
  /** False when the caller's account is not one of ours (a vendor): only the role's account records it. */
  recordCaller?: boolean;
}

/**
 * sts:AssumeRole. A cross-account call is recorded by both accounts (same sharedEventID); the role's
 * account sees the caller as an AWSAccount principal. Returns the session its credentials open.
 */
export function assumeRole(rng: Rng, a: AssumeRoleArgs): { records: TrailRecord[]; session: Session | null } {
  const duration = a.durationSeconds ?? 3600;
  const keyId = awsId(rng, 'ASIA');
  const request: Record<string, unknown> = { roleArn: a.role.arn, roleSessionName: a.sessionName };
  // AWS services ask for their own session length; CloudTrail shows no durationSeconds for them.
  if (a.durationSeconds && a.caller.type !== 'AWSService') request.durationSeconds = a.durationSeconds;
  if (a.externalId) request.externalId = a.externalId;
  if (a.mfaSerial) {
    request.serialNumber = a.mfaSerial;
    request.tokenCode = rng.chars('0123456789', 6);
  }
  if (a.sourceIdentity) request.sourceIdentity = a.sourceIdentity;
  let response: Record<string, unknown> | null = null;
  if (!a.denied) {
    response = {
      credentials: { accessKeyId: keyId, sessionToken: sessionToken(rng), expiration: stsExpiration(a.t + duration * 1000) },
      assumedRoleUser: { assumedRoleId: `${a.role.id}:${a.sessionName}`, arn: `arn:aws:sts::${a.role.accountId}:assumed-role/${a.role.name}/${a.sessionName}` },
    };
    if (a.sourceIdentity) response.sourceIdentity = a.sourceIdentity;
  }
  const service = a.caller.type === 'AWSService';
  const cross = a.callerAccount !== a.role.accountId;
  const shared = cross ? rng.uuid() : undefined;
  const base = {
    t: a.t, source: 'sts.amazonaws.com', name: 'AssumeRole', region: a.region, ip: a.ip, ua: a.ua, readOnly: true,
    request, response, errorCode: a.denied?.code, errorMessage: a.denied?.message,
    resources: [{ accountId: a.role.accountId, type: 'AWS::IAM::Role', ARN: a.role.arn }],
    sharedEventID: shared, host: service ? undefined : `sts.${a.region}.amazonaws.com`,
  };
  const records = a.recordCaller === false ? [] : [toRecord(rng, { ...base, identity: a.caller, account: a.callerAccount })];
  if (cross) {
    records.push(toRecord(rng, { ...base, identity: awsAccountIdentity(a.callerAccount, a.callerPrincipalId ?? String(a.caller.principalId ?? a.callerAccount)), account: a.role.accountId }));
  }
  if (a.denied) return { records, session: null };
  return {
    records,
    session: {
      accountId: a.role.accountId, roleName: a.role.name, roleArn: a.role.arn, roleId: a.role.id, sessionName: a.sessionName,
      keyId, created: a.t, expires: a.t + duration * 1000, mfa: Boolean(a.mfaSerial), sourceIdentity: a.sourceIdentity, ec2: a.ec2,
    },
  };
}

/** sts:AssumeRoleWithWebIdentity from a GitHub Actions OIDC token. */
export function assumeRoleWithWebIdentity(rng: Rng, a: {
  t: number; region: string; providerArn: string; subject: string; role: { accountId: string; name: string; arn: string; id: string };
  sessionName: string; ip: string; ua: string;
}): { records: TrailRecord[]; session: Session } {
  const keyId = awsId(rng, 'ASIA');
  const audience = 'sts.amazonaws.com';
  const rec = toRecord(rng, {
    t: a.t, identity: webIdentityUser(a.providerArn, audience, a.subject), source: 'sts.amazonaws.com', name: 'AssumeRoleWithWebIdentity',
    region: a.region, ip: a.ip, ua: a.ua, account: a.role.accountId, readOnly: true,
    request: { roleArn: a.role.arn, roleSessionName: a.sessionName, durationSeconds: 3600 },
    response: {
      credentials: { accessKeyId: keyId, sessionToken: sessionToken(rng), expiration: stsExpiration(a.t + HOUR) },
      subjectFromWebIdentityToken: a.subject,
      assumedRoleUser: { assumedRoleId: `${a.role.id}:${a.sessionName}`, arn: `arn:aws:sts::${a.role.accountId}:assumed-role/${a.role.name}/${a.sessionName}` },
      provider: a.providerArn,
      audience,
    },
    resources: [{ accountId: a.role.accountId, type: 'AWS::IAM::Role', ARN: a.role.arn }],
    host: `sts.${a.region}.amazonaws.com`,
  });
  return {
    records: [rec],
    session: {
      accountId: a.role.accountId, roleName: a.role.name, roleArn: a.role.arn, roleId: a.role.id, sessionName: a.sessionName,
      keyId, created: a.t, expires: a.t + HOUR, mfa: false, webIdProvider: a.providerArn,
    },
  };
}

/** A console sign-in (IAM user or root). */
export function consoleLogin(rng: Rng, a: {
  t: number; identity: UserIdentity; account: string; ip: string; ua: string; mfa: boolean; success?: boolean;
}): TrailRecord {
  const ok = a.success ?? true;
  return toRecord(rng, {
    t: a.t, identity: a.identity, source: 'signin.amazonaws.com', name: 'ConsoleLogin', region: 'us-east-1', ip: a.ip, ua: a.ua,
    account: a.account, readOnly: false, eventType: 'AwsConsoleSignIn', request: null,
    response: { ConsoleLogin: ok ? 'Success' : 'Failure' },
    errorMessage: ok ? undefined : 'Failed authentication',
    additional: {
      LoginTo: 'https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_' + rng.hex(16),
      MobileVersion: 'No',
      MFAUsed: a.mfa ? 'Yes' : 'No',
    },
  });
}

/** The IAM policy statement an AccessDenied message names. */
export function accessDenied(principalArn: string, action: string, resource: string): { code: string; message: string } {
  return {
    code: 'AccessDenied',
    message: `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
  };
}
