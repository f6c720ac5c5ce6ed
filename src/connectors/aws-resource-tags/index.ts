import { compact } from '../../lib/aws/attributes.js';
import { parseArn } from '../../lib/aws/arn.js';
import { environmentOf, tagMap } from '../../lib/aws/tags.js';
import { RecordError } from '../../lib/errors.js';
import { redact } from '../../lib/secrets.js';
import type { CanonicalRecord } from '../../model/index.js';
import { rec, toItem, type Connector } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { classificationFromTags } from './classification.js';
import { resourceTypeAndName } from './resource-type.js';

/**
 * `aws resourcegroupstaggingapi get-resources`: every tagged resource of an account and region, with
 * its environment and data classification read from tags. These are the systems identities reach;
 * the risk engine weighs access to `restricted` data above the rest.
 */
export const connector: Connector = {
  name: 'aws-resource-tags',
  title: 'AWS resource tags',
  category: 'inventory',
  produces: 'aws resourcegroupstaggingapi get-resources --output json',

  detect(sample) {
    return sample.head.includes('"ResourceTagMappingList"') ? 0.95 : 0;
  },

  async *parse(file) {
    for await (const batch of readJsonRecords(file, ['ResourceTagMappingList'])) {
      yield batch.map((r) => (r.error !== undefined ? { index: r.index, line: r.line, reject: r.error } : toItem(r.index, r.line, () => buildResource(r.value))));
    }
  },
};

function buildResource(value: unknown): CanonicalRecord[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RecordError('expected a resource mapping (an object)');
  const v = value as Record<string, unknown>;
  if (typeof v.ResourceARN !== 'string' || !v.ResourceARN) {
    // A file whose top level holds no ResourceTagMappingList arrives here whole.
    throw new RecordError('missing ResourceARN');
  }
  const arn = parseArn(v.ResourceARN);
  if (!arn) throw new RecordError(`ResourceARN: "${v.ResourceARN.slice(0, 80)}" is not an ARN`);
  const tags = tagMap(v.Tags);
  const { type, name: arnName } = resourceTypeAndName(arn);
  const nameTag = Object.entries(tags).find(([k]) => k.toLowerCase() === 'name')?.[1]?.trim();
  const cls = classificationFromTags(tags);
  return [rec.resource({
    id: v.ResourceARN, provider: 'aws', type, name: nameTag || arnName, account: arn.account || null,
    environment: environmentOf(tags, arnName), classification: cls.classification, tags: redact(tags),
    attributes: compact({
      service: arn.service, region: arn.region || null, arnName: nameTag && nameTag !== arnName ? arnName : null,
      classificationSource: cls.from, unrecognisedClassification: cls.unrecognised.length ? cls.unrecognised : null,
    }),
  })];
}
