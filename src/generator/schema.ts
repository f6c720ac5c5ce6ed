import { z } from 'zod';
import { ActionKind, Severity } from '../model/index.js';

/** Options of generateEstate (the CLI's `generate` flags map onto these). */
export const GenerateOptions = z.object({
  employees: z.number().int().min(50).max(100_000),
  /** Any string or number; the same seed gives the same bytes. */
  seed: z.union([z.string().min(1), z.number()]).transform(String),
  /** Machine identities per person. */
  ratio: z.number().min(1).max(500).default(45),
  out: z.string().min(1),
  days: z.number().int().min(1).max(90).default(14),
  /** CloudTrail events per day across the estate; default 30 per employee. */
  eventsPerDay: z.number().int().min(100).optional(),
  /** First day of the log window (UTC), YYYY-MM-DD (a time of day is ignored); inventories are exported as it opens. */
  startDate: z.string().regex(/^\d{4}-\d\d-\d\d([T ].*)?$/, 'expected YYYY-MM-DD').default('2026-11-01').transform((s) => s.slice(0, 10)),
  /**
   * Minutes between CloudTrail deliveries. AWS delivers about every 5 minutes, which on a quiet estate
   * means hundreds of thousands of files of two or three records; `auto` (the default) keeps 5 minutes
   * where an account is busy enough and widens the window up to an hour so a file holds a few dozen.
   */
  deliveryMinutes: z.union([z.literal('auto'), z.literal(5), z.literal(10), z.literal(15), z.literal(20), z.literal(30), z.literal(60)]).default('auto'),
  /** Replace a previous estate in `out` (only the generator's own files and folders are removed). */
  overwrite: z.boolean().default(false),
});
export type GenerateOptions = z.infer<typeof GenerateOptions>;
export type GenerateOptionsInput = z.input<typeof GenerateOptions>;

/** ground-truth.json: what the engines are scored against. */
export const GroundTruthIncident = z.object({
  id: z.string(),
  title: z.string(),
  severity: Severity,
  /** Canonical id (docs/model.md) of the identity the incident starts from. */
  rootIdentity: z.string(),
  /** Canonical ids from the root to the deepest machine identity involved. */
  chain: z.array(z.string()).min(1),
  actions: z.array(z.object({ action: ActionKind, target: z.string() })),
});
export const GroundTruth = z.object({
  incidents: z.array(GroundTruthIncident),
  /** Principals without admin rights of their own whose permissions let them make themselves admin. */
  privesc: z.array(z.string()),
  /** Users and roles (not people) that no ownership entry matches and that carry no owner or team tag. */
  orphaned: z.array(z.string()),
});
export type GroundTruth = z.infer<typeof GroundTruth>;
export type GroundTruthIncident = z.infer<typeof GroundTruthIncident>;

export const AccountSummary = z.object({
  id: z.string(),
  alias: z.string(),
  kind: z.enum(['identity', 'workload']),
  env: z.enum(['prod', 'staging', 'dev']),
  users: z.number().int(),
  roles: z.number().int(),
  groups: z.number().int(),
  managedPolicies: z.number().int(),
  instanceProfiles: z.number().int(),
  accessKeys: z.number().int(),
  resources: z.number().int(),
});

export const EstateSummary = z.object({
  out: z.string(),
  seed: z.string(),
  employees: z.number().int(),
  ratio: z.number(),
  days: z.number().int(),
  window: z.object({ start: z.string(), end: z.string() }),
  accounts: z.array(AccountSummary),
  identities: z.object({
    humans: z.number().int(),
    machines: z.number().int(),
    /** machines / humans as generated (the requested ratio is approximate). */
    ratio: z.number(),
    /** Machine identities by canonical kind, as the connectors will create them. */
    byKind: z.record(z.string(), z.number().int()),
    humanIamUsers: z.number().int(),
  }),
  /** CloudTrail delivery window used, in minutes. */
  deliveryMinutes: z.number().int(),
  events: z.number().int(),
  cloudtrailFiles: z.number().int(),
  files: z.number().int(),
  bytes: z.number().int(),
  byKind: z.record(z.string(), z.object({ files: z.number().int(), bytes: z.number().int() })),
  incidents: z.number().int(),
  privesc: z.number().int(),
  orphaned: z.number().int(),
});
export type EstateSummary = z.infer<typeof EstateSummary>;
