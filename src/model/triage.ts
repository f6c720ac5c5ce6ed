import { z } from 'zod';
import { IsoTime, Severity } from './common.js';
import { CONTRACT_VERSION } from './contracts.js';
import { Incident, IncidentStatus } from './incident.js';

/**
 * `idcopilot triage --json` and `idcopilot explain --json`: the copilot's answer to "what is happening,
 * and what needs action now?". An incident is the canonical Incident plus what an analyst needs to act
 * on it: why it ranks where it does, what acting on it breaks, what it puts at risk, and who wrote the
 * prose. Additive changes only within a contract version.
 */

/** Who or what was seen using a credential or identity in the period: what breaks when it is revoked. */
export const Dependent = z.object({
  /** A short label: `workload 10.0.3.0/24 (Boto3/linux)`, `caller arn:...`, `service lambda.amazonaws.com`. */
  label: z.string(),
  kind: z.enum(['workload', 'network', 'caller', 'service', 'person']),
  events: z.number().int().nonnegative(),
  lastSeen: IsoTime.nullable(),
  /** A few event ids that show it. */
  evidence: z.array(z.string()),
});
export type Dependent = z.infer<typeof Dependent>;

export const DependentsOf = z.object({
  target: z.string(),
  dependents: z.array(Dependent),
  /** No use outside the incident in the period: revoking it breaks nothing that was observed. */
  safeToRevoke: z.boolean(),
  period: z.object({ from: IsoTime, to: IsoTime }),
});
export type DependentsOf = z.infer<typeof DependentsOf>;

/** What the affected systems hold, in words, with the resources that say so. */
export const BusinessImpact = z.object({
  summary: z.string(),
  /** Resources the incident's events touched, most sensitive first. */
  touched: z.array(z.object({
    id: z.string(),
    name: z.string(),
    classification: z.string().nullable(),
    crownJewel: z.string().nullable(),
    events: z.number().int(),
    what: z.string(),
  })),
  /** What the chain could reach besides (potential), summarised. */
  reach: z.object({ identities: z.number().int(), resources: z.number().int(), restricted: z.number().int(), crownJewels: z.array(z.string()) }).nullable(),
});
export type BusinessImpact = z.infer<typeof BusinessImpact>;

export const NarratorInfo = z.object({
  kind: z.enum(['deterministic', 'llm']),
  model: z.string().nullable().default(null),
  /** Why the LLM's text was not used (grounding failed, endpoint error, timeout), when it was not. */
  fallbackReason: z.string().nullable().default(null),
  /** Tools the LLM called while investigating. */
  toolCalls: z.array(z.string()).default([]),
});
export type NarratorInfo = z.infer<typeof NarratorInfo>;

export const SignalSummary = z.object({
  id: z.string(),
  source: z.string(),
  severity: Severity,
  title: z.string(),
  time: IsoTime,
  rule: z.string().nullable(),
});
export type SignalSummary = z.infer<typeof SignalSummary>;

export const OwnerSummary = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  status: z.string(),
  team: z.string().nullable(),
  /** Where the ownership comes from (ownership-map, tag, hr, registry, creator) and for which identity. */
  source: z.string(),
  of: z.string(),
});
export type OwnerSummary = z.infer<typeof OwnerSummary>;

export const EntitySummary = z.object({
  name: z.string(),
  kind: z.string(),
  provider: z.string().nullable().default(null),
  environment: z.string().nullable().default(null),
  status: z.string().nullable().default(null),
});

export const ActivitySummary = z.object({
  events: z.number().int(),
  writes: z.number().int(),
  failures: z.number().int(),
  from: IsoTime,
  to: IsoTime,
  /** Most frequent actions with counts. */
  actions: z.array(z.object({ action: z.string(), count: z.number().int() })),
  /** Source networks (/24, /48) or address kinds, with counts. */
  networks: z.array(z.object({ network: z.string(), count: z.number().int() })),
  /** Client families (from user agents), with counts. */
  clients: z.array(z.object({ client: z.string(), count: z.number().int() })),
});
export type ActivitySummary = z.infer<typeof ActivitySummary>;

export const TriageIncident = Incident.extend({
  whatNeedsActionNow: z.string(),
  confidence: z.number().min(0).max(1),
  happeningNow: z.boolean(),
  providers: z.array(z.string()),
  /** The person behind the root (an HR record), when one is known. */
  person: z.string().nullable(),
  ownerDetail: OwnerSummary.nullable(),
  signals: z.array(SignalSummary),
  commands: z.array(z.string()),
  dependents: z.array(DependentsOf),
  impact: BusinessImpact.nullable(),
  narrator: NarratorInfo,
  /** Alerts of this story that a suppression rule removed (with the rule ids). */
  suppressed: z.array(z.object({ rule: z.string(), alerts: z.number().int() })).default([]),
  /** Names and kinds of the identities and resources the incident cites, for display. */
  entities: z.record(z.string(), EntitySummary).default({}),
  /** The story's own activity (its events, not only the ones alerts cite), summarised. */
  activity: ActivitySummary.nullable().default(null),
});
export type TriageIncident = z.infer<typeof TriageIncident>;

/** A posture risk (from inventories alone): listed beside incidents, never ranked with them. */
export const TriageFinding = z.object({
  identity: z.string(),
  code: z.string(),
  title: z.string(),
  severity: Severity,
  weight: z.number(),
  evidence: z.array(z.string()),
});

export const TriageResult = z.object({
  contractVersion: z.literal(CONTRACT_VERSION),
  asOf: IsoTime,
  since: IsoTime.nullable(),
  incidents: z.array(TriageIncident),
  totals: z.object({
    alerts: z.number().int(),
    incidents: z.number().int(),
    shown: z.number().int(),
    suppressedAlerts: z.number().int(),
    /** Groups below the incident threshold (info severity, or closed and quiet). */
    belowThreshold: z.number().int(),
    closed: z.number().int(),
  }),
  findings: z.array(TriageFinding),
  notices: z.array(z.string()),
  durationMs: z.number().nonnegative(),
});
export type TriageResult = z.infer<typeof TriageResult>;

export const IncidentHistoryEntry = z.object({
  at: IsoTime,
  action: z.string(),
  actor: z.string(),
  reason: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type IncidentHistoryEntry = z.infer<typeof IncidentHistoryEntry>;

export const IncidentExplain = z.object({
  contractVersion: z.literal(CONTRACT_VERSION),
  kind: z.literal('incident'),
  asOf: IsoTime,
  incident: TriageIncident,
  history: z.array(IncidentHistoryEntry),
  /** The chain as a Mermaid flowchart. */
  mermaid: z.string(),
  similar: z.array(z.object({ id: z.string(), title: z.string(), score: z.number(), status: IncidentStatus })),
});
export type IncidentExplain = z.infer<typeof IncidentExplain>;

export const IdentityExplain = z.object({
  contractVersion: z.literal(CONTRACT_VERSION),
  kind: z.literal('identity'),
  asOf: IsoTime,
  identity: z.object({ id: z.string(), kind: z.string(), name: z.string(), provider: z.string(), status: z.string(), environment: z.string(), autonomy: z.string().nullable() }),
  owner: OwnerSummary.nullable(),
  whatIsIt: z.string(),
  upstream: z.array(z.array(z.string())),
  downstream: z.object({ identities: z.number().int(), resources: z.number().int(), crownJewels: z.array(z.string()) }).nullable(),
  risk: z.array(z.object({ code: z.string(), title: z.string(), weight: z.number(), evidence: z.array(z.string()) })),
  incidents: z.array(z.object({ id: z.string(), title: z.string(), severity: Severity, status: IncidentStatus, lastSeen: IsoTime.nullable() })),
  recentAlerts: z.array(SignalSummary),
  similar: z.array(z.object({ id: z.string(), name: z.string(), score: z.number() })),
});
export type IdentityExplain = z.infer<typeof IdentityExplain>;

/**
 * A suppression rule (YAML, reviewed like code): alerts it matches are left out of triage until it
 * expires. Every rule names its author and an expiry, so that nothing is silenced forever by nobody.
 */
export const SuppressionMatch = z.strictObject({
  /** `*` patterns. The root identity of the story the alert belongs to. */
  rootIdentity: z.string().min(1).optional(),
  /** Any identity the alert names. */
  identity: z.string().min(1).optional(),
  /** The alert's rule (`aws.lambda.code-changed`, `baseline:new_network`) or vendor finding type. */
  rule: z.string().min(1).optional(),
  /** The alert's source (`copilot:rules`, `guardduty`). */
  source: z.string().min(1).optional(),
  /** The alert's title. */
  title: z.string().min(1).optional(),
}).refine((m) => Object.values(m).some((v) => v !== undefined), { message: 'a suppression matches on at least one of rootIdentity, identity, rule, source, title' });

const DateOrTime = z.union([z.iso.date(), IsoTime]);

export const SuppressionRule = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'suppression ids are lower-case words joined by . _ or -'),
  match: SuppressionMatch,
  reason: z.string().min(3),
  author: z.string().min(1),
  created: DateOrTime.optional(),
  expires: DateOrTime,
});
export type SuppressionRule = z.infer<typeof SuppressionRule>;

export const SuppressionFile = z.strictObject({
  suppressions: z.array(SuppressionRule).default([]),
});
export type SuppressionFile = z.infer<typeof SuppressionFile>;
