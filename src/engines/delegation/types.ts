import { z } from 'zod';
import { EdgeKind } from '../../model/index.js';

/**
 * The trace contract (`idcopilot trace ID --json`, `trace --event`, the MCP tool): hops are listed in
 * path order, each reading "from can act as to" (or, for can_access, "from reaches to"); `edge` is the
 * stored edge's kind, and `reversed` says the stored edge points the other way (granted, acts_for).
 */
export const Hop = z.object({
  from: z.string(),
  to: z.string(),
  edge: EdgeKind,
  reversed: z.boolean().default(false),
  potential: z.boolean(),
  observed: z.boolean(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  count: z.number().int(),
  evidence: z.array(z.string()),
});
export type Hop = z.infer<typeof Hop>;

export const Path = z.object({ hops: z.array(Hop) });
export type Path = z.infer<typeof Path>;

export const NodeSummary = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  /** Highest privilege among its entitlements (identities) or the classification (resources). */
  privilege: z.string().nullable(),
  classification: z.string().nullable().default(null),
  crownJewel: z.boolean().default(false),
  depth: z.number().int(),
});
export type NodeSummary = z.infer<typeof NodeSummary>;

export const TraceResult = z.object({
  identity: z.string(),
  upstream: z.array(Path),
  downstream: z.array(Path),
  /** The people at the root of the upstream paths (who can act as this identity, and who did). */
  roots: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string(), observed: z.boolean() })).default([]),
  /** Blast radius: what the downstream reaches, summarised by privilege and by resource sensitivity. */
  blastRadius: z.object({
    identities: z.number().int(),
    resources: z.number().int(),
    byPrivilege: z.record(z.string(), z.number().int()),
    byClassification: z.record(z.string(), z.number().int()),
    crownJewels: z.array(z.string()),
  }).nullable().default(null),
  truncated: z.array(z.string()).default([]),
});
export type TraceResult = z.infer<typeof TraceResult>;

export interface TraceOptions {
  direction?: 'up' | 'down' | 'both';
  /** Hops from the identity, default 6, at most 10. */
  depth?: number;
  observedOnly?: boolean;
  /** Edges followed per node, default 50. */
  fanout?: number;
  /** Nodes visited per direction, default 5,000. */
  maxNodes?: number;
  /** Paths returned per direction, default 100. */
  maxPaths?: number;
  deadlineMs?: number;
  /** Crown-jewel resource patterns (`*` wildcards) from the configuration. */
  crownJewels?: string[];
}
