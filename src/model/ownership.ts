import { z } from 'zod';

/**
 * A claim that someone is accountable for an identity, as a source states it. Connectors cannot
 * resolve an email or a team name to an identity (they have no store access), so they emit claims;
 * the ownership engine resolves them to `owns` edges and keeps the source and confidence.
 */
export const OwnerRefType = z.enum(['identity', 'email', 'employee_id', 'username', 'team']);
export const OwnerSource = z.enum(['ownership-map', 'tag', 'hr', 'registry', 'creator', 'config']);
export type OwnerSource = z.infer<typeof OwnerSource>;

/** Default confidence per source: a map someone keeps beats a tag, a tag beats "who created it". */
export const OWNER_SOURCE_CONFIDENCE: Record<OwnerSource, number> = {
  config: 1, 'ownership-map': 0.95, registry: 0.9, hr: 0.9, tag: 0.8, creator: 0.5,
};

export const OwnerClaim = z.object({
  /** The owned identity id, or a pattern with `*` wildcards (ownership maps match many). */
  target: z.string().min(1),
  ref: z.string().min(1),
  refType: OwnerRefType,
  /** `owner` (a person) or `team`. */
  role: z.enum(['owner', 'team']).default('owner'),
  source: OwnerSource,
  confidence: z.number().min(0).max(1),
  evidence: z.array(z.string()).default([]),
});
export type OwnerClaim = z.infer<typeof OwnerClaim>;
export type OwnerClaimInput = z.input<typeof OwnerClaim>;
