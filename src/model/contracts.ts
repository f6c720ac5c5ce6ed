import { z } from 'zod';
import { RiskFactor } from './finding.js';
import { Identity } from './identity.js';
import { RECORD_KINDS, type RecordKind } from './records.js';

/**
 * The `--json` outputs of the CLI: a stable, versioned contract. Additive changes only within a
 * major `contractVersion`.
 */
export const CONTRACT_VERSION = 1;

export const RecordCounts = z.record(z.string(), z.number().int().nonnegative());

export const RejectedRecord = z.object({
  path: z.string(),
  /** Zero-based index of the record in its file (row number for CSV, element index for JSON arrays). */
  index: z.number().int().nonnegative(),
  /** 1-based line in the file where that is known. */
  line: z.number().int().positive().nullable().default(null),
  reason: z.string(),
});
export type RejectedRecord = z.infer<typeof RejectedRecord>;

export const IngestFileResult = z.object({
  path: z.string(),
  /** The connector that read it (e.g. `aws-cloudtrail`), or null when no format was recognised. */
  format: z.string().nullable(),
  /** records = loaded + rejected; a record already in the store counts as loaded. */
  records: z.number().int().nonnegative(),
  loaded: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  /** Canonical records written, per kind (identity, edge, event, ...). */
  counts: RecordCounts.default({}),
  /** Set when the file could not be read as its format: nothing of it was written. */
  error: z.string().nullable(),
  /** Set when a file inside a walked folder was skipped (no known format). */
  skipped: z.string().nullable().default(null),
  durationMs: z.number().nonnegative().default(0),
});
export type IngestFileResult = z.infer<typeof IngestFileResult>;

export const IngestResult = z.object({
  contractVersion: z.literal(CONTRACT_VERSION),
  files: z.array(IngestFileResult),
  totals: z.object({
    files: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
    records: z.number().int(),
    loaded: z.number().int(),
    rejected: z.number().int(),
    counts: RecordCounts,
  }),
});
export type IngestResult = z.infer<typeof IngestResult>;

export const LookupMatch = Identity.extend({
  /** How it matched: `exact`, `text` (substring on ids, names, emails, key ids, tags) or `semantic`. */
  match: z.enum(['exact', 'text', 'semantic']),
  score: z.number(),
  owner: z.string().nullable(),
});
export const LookupResult = z.object({ contractVersion: z.literal(CONTRACT_VERSION), query: z.string(), identities: z.array(LookupMatch) });
export type LookupResult = z.infer<typeof LookupResult>;

export function emptyCounts(): Record<RecordKind, number> {
  return Object.fromEntries(RECORD_KINDS.map((k) => [k, 0])) as Record<RecordKind, number>;
}

/** `idcopilot risk [ID] --json`: a 0-100 score per identity from named factors (docs/engines.md, "Risk"). */
export const RiskIdentity = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  score: z.number().int().min(0).max(100),
  factors: z.array(RiskFactor),
});
export const RiskResult = z.object({
  contractVersion: z.literal(CONTRACT_VERSION),
  /** The data time the scores describe: the latest event when they were computed. */
  asOf: z.string().nullable(),
  identities: z.array(RiskIdentity),
});
export type RiskResult = z.infer<typeof RiskResult>;
