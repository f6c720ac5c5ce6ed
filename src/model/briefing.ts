import { z } from 'zod';
import { IsoTime, Severity } from './common.js';
import { CONTRACT_VERSION } from './contracts.js';
import { IncidentStatus, Urgency } from './incident.js';

/**
 * The CISO briefing (`idcopilot brief --format json`, and what the Markdown, HTML and PDF renderings
 * are made from): posture figures, the OWASP NHI Top 10 counts, the risk trend from stored posture
 * snapshots, the top risks with owners and actions, the period's incidents, and the three things that
 * need a decision. Additive changes only within a contract version.
 */
export const BriefingOwner = z.object({
  name: z.string(),
  email: z.string().nullable(),
  status: z.string(),
});
export type BriefingOwner = z.infer<typeof BriefingOwner>;

export const BriefingDecision = z.object({
  /** What to decide, in a board's words. */
  title: z.string(),
  /** The figures or the incident that make it urgent. */
  why: z.string(),
  /** The decision asked for. */
  ask: z.string(),
  /** Who carries it out once decided. */
  owner: z.string().nullable(),
  kind: z.enum(['incident', 'posture']),
  /** An incident id, or the factor code (NHI1..NHI10) of a posture decision. */
  ref: z.string(),
});
export type BriefingDecision = z.infer<typeof BriefingDecision>;

export const BriefingRisk = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  score: z.number(),
  owner: BriefingOwner.nullable(),
  factors: z.array(z.object({ code: z.string(), title: z.string() })),
  /** The one thing that lowers this score most. */
  action: z.string(),
});
export type BriefingRisk = z.infer<typeof BriefingRisk>;

export const BriefingIncident = z.object({
  id: z.string(),
  rank: z.number().int().nullable(),
  severity: Severity,
  score: z.number(),
  status: IncidentStatus,
  title: z.string(),
  rootIdentity: z.string(),
  owner: z.string().nullable(),
  firstSeen: IsoTime.nullable(),
  lastSeen: IsoTime.nullable(),
  /** The first action due now, as a phrase (`rotate aws:access-key:AKIA...`), when one is known. */
  doNow: z.string().nullable(),
  urgency: Urgency.nullable(),
});
export type BriefingIncident = z.infer<typeof BriefingIncident>;

export const BriefingTrendPoint = z.object({
  day: z.string(),
  asOf: IsoTime,
  scored: z.number().int(),
  meanScore: z.number(),
  critical: z.number().int(),
  high: z.number().int(),
});

export const CisoBriefing = z.object({
  contractVersion: z.literal(CONTRACT_VERSION),
  title: z.string(),
  /** The data time the figures describe (the latest event), and the period incidents are drawn from. */
  asOf: IsoTime.nullable(),
  period: z.object({ days: z.number().positive(), from: IsoTime, to: IsoTime }),
  generatedAt: IsoTime,
  decisions: z.array(BriefingDecision).max(3),
  posture: z.object({
    identities: z.number().int(),
    byKind: z.record(z.string(), z.number().int()),
    humans: z.number().int(),
    machines: z.number().int(),
    machineToHuman: z.number().nullable(),
    ownership: z.object({ ownable: z.number().int(), owned: z.number().int(), coverage: z.number().nullable() }),
    orphaned: z.number().int(),
    longLived: z.number().int(),
    overprivileged: z.number().int(),
    /** Identities people use as if they were their own (OWASP NHI10). */
    humanUseOfNhi: z.number().int(),
    agentsByAutonomy: z.record(z.string(), z.number().int()),
    meanScore: z.number().nullable(),
    bands: z.record(z.string(), z.number().int()),
  }),
  /** Identities with each OWASP NHI Top 10 (2025) risk, NHI1..NHI10 in order. */
  owasp: z.array(z.object({ code: z.string(), title: z.string(), identities: z.number().int() })),
  trend: z.array(BriefingTrendPoint),
  topRisks: z.array(BriefingRisk),
  incidents: z.array(BriefingIncident),
  incidentTotals: z.object({
    total: z.number().int(),
    bySeverity: z.record(z.string(), z.number().int()),
    byStatus: z.record(z.string(), z.number().int()),
  }),
  notices: z.array(z.string()),
});
export type CisoBriefing = z.infer<typeof CisoBriefing>;
