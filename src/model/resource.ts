import { z } from 'zod';
import { Attributes, Environment, Provider, Tags } from './common.js';

/** Data classification, lowest to highest; read from tags (`data-classification`, `classification`). */
export const Classification = z.enum(['public', 'internal', 'confidential', 'restricted']);
export type Classification = z.infer<typeof Classification>;

/** A resource that identities reach: a bucket, a database, a secret, a repository, a cluster. */
export const Resource = z.object({
  id: z.string().min(1),
  provider: Provider,
  type: z.string(),
  name: z.string(),
  account: z.string().nullable().default(null),
  environment: Environment.default('unknown'),
  classification: Classification.nullable().default(null),
  tags: Tags.default({}),
  attributes: Attributes.default({}),
});
export type Resource = z.infer<typeof Resource>;
export type ResourceInput = z.input<typeof Resource>;
