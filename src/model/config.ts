import { z } from 'zod';
import { Severity } from './common.js';

/**
 * idcopilot.yaml. Secrets never live here: the LLM key comes from OPENAI_API_KEY, the Slack token from
 * SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL. A config that names a secret field is rejected.
 */
export const CrownJewel = z.object({
  /** A resource id or pattern with `*` wildcards (e.g. `arn:aws:s3:::customer-*`). */
  resource: z.string().min(1),
  name: z.string().optional(),
  why: z.string().default(''),
  classification: z.enum(['public', 'internal', 'confidential', 'restricted']).default('restricted'),
});
export type CrownJewel = z.infer<typeof CrownJewel>;

export const Config = z.strictObject({
  copilot: z.strictObject({
    /** The person accountable for the copilot's own identity (an email or an identity id). */
    owner: z.string().default('security-team@example.com'),
    name: z.string().default('identity-copilot'),
  }).default({ owner: 'security-team@example.com', name: 'identity-copilot' }),
  llm: z.strictObject({
    /** OpenAI-compatible endpoint; OPENAI_BASE_URL overrides. Without one the narrator is deterministic. */
    baseUrl: z.string().url().nullable().default(null),
    model: z.string().default('gpt-4o-mini'),
    embeddingModel: z.string().nullable().default(null),
    maxSteps: z.number().int().positive().max(20).default(6),
    timeoutMs: z.number().int().positive().default(30_000),
  }).default({ baseUrl: null, model: 'gpt-4o-mini', embeddingModel: null, maxSteps: 6, timeoutMs: 30_000 }),
  slack: z.strictObject({
    channel: z.string().nullable().default(null),
    minSeverity: Severity.default('high'),
    /** Base URL of the web view, for links in messages. */
    webUrl: z.string().url().nullable().default(null),
  }).default({ channel: null, minSeverity: 'high', webUrl: null }),
  crownJewels: z.array(CrownJewel).default([]),
  risk: z.strictObject({
    /** Override factor weights by code (NHI1..NHI10 and the copilot's own codes). */
    weights: z.record(z.string(), z.number().min(0).max(100)).default({}),
    keyMaxAgeDays: z.number().int().positive().default(90),
    staleAfterDays: z.number().int().positive().default(90),
    /** Override other thresholds of src/engines/risk/defaults.yaml by name (e.g. { reuseNetworks: 8 }). */
    thresholds: z.record(z.string(), z.number()).default({}),
  }).default({ weights: {}, keyMaxAgeDays: 90, staleAfterDays: 90, thresholds: {} }),
  retention: z.strictObject({
    eventsDays: z.number().int().positive().default(400),
    auditDays: z.number().int().positive().default(2555),
  }).default({ eventsDays: 400, auditDays: 2555 }),
});
export type Config = z.infer<typeof Config>;
export type ConfigInput = z.input<typeof Config>;
