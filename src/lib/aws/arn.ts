import { parse as parseArnParts, validate as isArnShaped } from '@aws-sdk/util-arn-parser';

/** An ARN split into its parts; `resourceType` and `resourceName` split the resource at its first `/` or `:`. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
  resourceType: string;
  resourceName: string;
}

/** Parse an ARN, or null when the text is not one (malformed ARNs turn up in hand-edited trust policies). */
export function parseArn(text: string): Arn | null {
  if (!isArnShaped(text)) return null;
  const p = parseArnParts(text);
  if (!p.service) return null;
  const cut = firstSeparator(p.resource);
  return {
    partition: p.partition,
    service: p.service,
    region: p.region,
    account: p.accountId,
    resource: p.resource,
    resourceType: cut === -1 ? '' : p.resource.slice(0, cut),
    resourceName: cut === -1 ? p.resource : p.resource.slice(cut + 1),
  };
}

function firstSeparator(resource: string): number {
  const slash = resource.indexOf('/');
  const colon = resource.indexOf(':');
  if (slash === -1) return colon;
  if (colon === -1) return slash;
  return Math.min(slash, colon);
}

/** The account of an ARN, or null (S3 bucket ARNs, for one, carry none). */
export function accountOfArn(text: string): string | null {
  return parseArn(text)?.account || null;
}

/** The last path segment of an IAM ARN: `arn:aws:iam::1:role/ci/deploy` -> `deploy`. */
export function iamNameOf(text: string): string {
  const slash = text.lastIndexOf('/');
  if (slash !== -1) return text.slice(slash + 1);
  return text.slice(text.lastIndexOf(':') + 1);
}

const ACCOUNT_ID = /^\d{12}$/;
export function isAccountId(text: string): boolean {
  return ACCOUNT_ID.test(text);
}

export function accountRootArn(account: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${account}:root`;
}
