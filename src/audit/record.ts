import { z } from 'zod';
import { Transport } from './principal.js';

export const AuditKind = z.enum(['tool', 'resource', 'prompt', 'command', 'auth', 'admin', 'audit']);
export type AuditKind = z.infer<typeof AuditKind>;

/** `denied`: authenticated but without the scope; `unauthenticated`: no valid token. */
export const AuditOutcome = z.enum(['ok', 'error', 'denied', 'unauthenticated', 'rate_limited']);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

/** What a caller asks the log to record. */
export const AuditEntry = z.object({
  principal: z.string().min(1),
  transport: Transport,
  kind: AuditKind,
  /** The tool, resource template, prompt or command (`get_identity`, `identity://`, `cli:lookup`). */
  name: z.string().min(1),
  args: z.unknown().default({}),
  /** `sha256:` digest of the result the caller received; null when there was none. */
  resultDigest: z.string().nullable().default(null),
  durationMs: z.number().nonnegative(),
  outcome: AuditOutcome,
  error: z.string().nullable().default(null),
  /** The identity, incident or event the call was about, for the canonical event's target. */
  target: z.string().nullable().default(null),
  /** Where the call came from, as far as the transport knows. */
  client: z.object({ ip: z.string().nullable().optional(), userAgent: z.string().nullable().optional(), session: z.string().nullable().optional() }).default({}),
  /** When the call started; the log's clock when absent. */
  time: z.date().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;
export type AuditEntryInput = z.input<typeof AuditEntry>;

/** A stored record: the entry plus its place in its writer's chain. `args` is the hashed canonical JSON. */
export const AuditRecord = z.object({
  writer: z.string(),
  n: z.number().int().positive(),
  prevHash: z.string(),
  hash: z.string(),
  keyId: z.string().nullable(),
  time: z.string(),
  principal: z.string(),
  transport: z.string(),
  kind: z.string(),
  name: z.string(),
  args: z.string(),
  client: z.string(),
  resultDigest: z.string().nullable(),
  durationMs: z.number(),
  outcome: z.string(),
  error: z.string().nullable(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

/** `writer#n`: how verify and export name a record. */
export const recordRef = (r: { writer: string; n: number }): string => `${r.writer}#${r.n}`;
