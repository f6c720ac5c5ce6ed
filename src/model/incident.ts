import { z } from 'zod';
import { IsoTime, Severity } from './common.js';
import { EdgeKind } from './edge.js';

export const Urgency = z.enum(['now', 'today', 'this_week']);
export type Urgency = z.infer<typeof Urgency>;

export const ActionKind = z.enum([
  'rotate_credential', 'deactivate_credential', 'disable_identity', 'revoke_sessions', 'revoke_grant',
  'remove_trust', 'scope_down_policy', 'contact_owner', 'investigate',
]);
export type ActionKind = z.infer<typeof ActionKind>;

/** A proposal for a person to carry out after review; the copilot never changes watched systems. */
export const RecommendedAction = z.object({
  action: ActionKind,
  target: z.string().min(1),
  urgency: Urgency,
  reason: z.string().min(1),
  /** The exact command or API call (AWS CLI, Okta or Graph API, gh, kubectl). */
  command: z.string().nullable().default(null),
  /** Who and what depends on the target, observed in the period: what breaks if it is revoked. */
  dependents: z.array(z.string()).default([]),
  /** Steps in a safe order (issue new, move dependents, revoke old). */
  steps: z.array(z.string()).default([]),
});
export type RecommendedAction = z.infer<typeof RecommendedAction>;

export const ChainLink = z.object({
  identity: z.string().min(1),
  /** The edge that leads from the previous link to this one; null for the root. */
  edge: EdgeKind.nullable(),
});
export type ChainLink = z.infer<typeof ChainLink>;

export const PriorityFactor = z.object({ name: z.string(), value: z.number(), detail: z.string() });

export const IncidentStatus = z.enum(['open', 'acknowledged', 'resolved', 'false_positive', 'suppressed']);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

export const Incident = z.object({
  id: z.string().min(1),
  rank: z.number().int().positive(),
  severity: Severity,
  score: z.number().min(0).max(100),
  title: z.string().min(1),
  rootIdentity: z.string().min(1),
  chain: z.array(ChainLink),
  identities: z.array(z.string()),
  alerts: z.array(z.string()),
  events: z.array(z.string()),
  owner: z.string().nullable(),
  whatIsHappening: z.string(),
  actions: z.array(RecommendedAction),
  evidence: z.array(z.string()),
  status: IncidentStatus.default('open'),
  priorityFactors: z.array(PriorityFactor).default([]),
  firstSeen: IsoTime.nullable().default(null),
  lastSeen: IsoTime.nullable().default(null),
});
export type Incident = z.infer<typeof Incident>;
