import { z } from 'zod';
import { Attributes, IsoTime } from './common.js';

export const EdgeKind = z.enum([
  'can_assume', 'assumed', 'impersonates', 'acts_for', 'owns_credential', 'member_of', 'granted',
  'runs_as', 'federates_to', 'owns', 'created', 'same_as', 'can_access', 'authenticates_as',
]);
export type EdgeKind = z.infer<typeof EdgeKind>;

/**
 * What an edge means for delegation, read as "A can act as B (or with B's rights)":
 * - forward: from can act as to (can_assume, assumed, impersonates, federates_to, runs_as, member_of,
 *   owns_credential: the holder can use the credential, authenticates_as: a key or token acts as the
 *   principal it belongs to, can_access: reach into a resource)
 * - reverse: to can act as from (granted: the app a person consented to acts with the person's rights)
 * - both: each can act as the other (acts_for: the agent acts with the person's rights and the person
 *   drives the agent; same_as: one person's or workload's accounts in two systems)
 * - none: accountability or history, not capability (owns, created)
 * Trace walks these directions: upstream = who can act as X, downstream = what X can act as or reach.
 */
export const EDGE_DIRECTION: Record<EdgeKind, 'forward' | 'reverse' | 'both' | 'none'> = {
  can_assume: 'forward',
  assumed: 'forward',
  impersonates: 'forward',
  federates_to: 'forward',
  runs_as: 'forward',
  member_of: 'forward',
  owns_credential: 'forward',
  authenticates_as: 'forward',
  can_access: 'forward',
  granted: 'reverse',
  acts_for: 'both',
  same_as: 'both',
  owns: 'none',
  created: 'none',
};

/**
 * A directed relation between two nodes (identities, credentials or resources). `potential` means the
 * configuration allows it; `observed` means logs show it, with first/last seen and a count of distinct
 * events. Observed facts are never written by connectors directly: they emit `Observation`s and the
 * store aggregates them, so that ingesting the same log twice cannot double a count.
 */
export const Edge = z.object({
  from: z.string().min(1),
  to: z.string().min(1),
  kind: EdgeKind,
  potential: z.boolean().default(true),
  observed: z.boolean().default(false),
  firstSeen: IsoTime.nullable().default(null),
  lastSeen: IsoTime.nullable().default(null),
  count: z.number().int().nonnegative().default(0),
  /** Conditions as the source states them (an IAM Condition block, an OIDC sub pattern). */
  conditions: z.unknown().nullable().default(null),
  /** Ids of the records that support this edge: policy ids, event ids, file references. */
  evidence: z.array(z.string()).default([]),
  /** e.g. { source: 'hr', confidence: 0.9 } for owner links, { scopes: [...] } for grants. */
  attributes: Attributes.default({}),
});
export type Edge = z.infer<typeof Edge>;
export type EdgeInput = z.input<typeof Edge>;

/** One event showing one hop: the store turns these into observed edges (first/last seen, count). */
export const Observation = z.object({
  eventId: z.string().min(1),
  from: z.string().min(1),
  to: z.string().min(1),
  kind: EdgeKind,
  time: IsoTime,
});
export type Observation = z.infer<typeof Observation>;

/** Stable id of an edge: one row per (from, kind, to). */
export function edgeKey(e: { from: string; kind: string; to: string }): string {
  return `${e.from}|${e.kind}|${e.to}`;
}
