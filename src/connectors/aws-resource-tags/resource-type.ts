import type { Arn } from '../../lib/aws/arn.js';

/** Services whose ARNs name the resource with no type word before it. */
const BARE_NAME_TYPES: Record<string, string> = { sns: 'topic', sqs: 'queue' };

/**
 * `service:type` and the resource's own name from its ARN: `arn:aws:rds:...:db:orders` -> rds:db,
 * orders; `arn:aws:s3:::bucket` -> s3:bucket; `arn:aws:sqs:...:jobs` -> sqs:queue.
 */
export function resourceTypeAndName(arn: Arn): { type: string; name: string } {
  if (arn.service === 's3') {
    const slash = arn.resource.indexOf('/');
    if (slash === -1) return { type: 's3:bucket', name: arn.resource };
    return { type: 's3:object', name: arn.resource };
  }
  if (!arn.resourceType) {
    const bare = BARE_NAME_TYPES[arn.service];
    return { type: bare ? `${arn.service}:${bare}` : arn.service, name: arn.resource };
  }
  return { type: `${arn.service}:${arn.resourceType}`, name: arn.resourceName || arn.resource };
}
