import { z } from 'zod';
import { Attributes, IsoTime, Severity } from './common.js';

/** An alert from a detector: a vendor (GuardDuty, Okta, Entra), a rule pack, or the copilot's own baselines. */
export const Alert = z.object({
  id: z.string().min(1),
  time: IsoTime,
  /** The product that raised it: `guardduty`, `securityhub`, `okta`, `copilot:rules`, `copilot:baseline`. */
  source: z.string().min(1),
  severity: Severity,
  title: z.string().min(1),
  description: z.string().default(''),
  /** The rule or finding type, e.g. `UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration`. */
  rule: z.string().nullable().default(null),
  identities: z.array(z.string()).default([]),
  credentials: z.array(z.string()).default([]),
  events: z.array(z.string()).default([]),
  /** Entities named by the alert that may not resolve to identities: IPs, hosts, applications. */
  entities: z.record(z.string(), z.array(z.string())).default({}),
  mitre: z.array(z.string()).default([]),
  confidence: z.number().min(0).max(1).default(0.7),
  rawRef: z.string().nullable().default(null),
  detail: Attributes.default({}),
});
export type Alert = z.infer<typeof Alert>;
export type AlertInput = z.input<typeof Alert>;
