import { z } from 'zod';
import { IsoTime, Severity } from './common.js';

/** Risk factor codes: the OWASP NHI Top 10 (2025) exactly, plus the copilot's own. */
export const OwaspNhi = z.enum(['NHI1', 'NHI2', 'NHI3', 'NHI4', 'NHI5', 'NHI6', 'NHI7', 'NHI8', 'NHI9', 'NHI10']);
export type OwaspNhi = z.infer<typeof OwaspNhi>;

export const OWASP_NHI_TITLES: Record<OwaspNhi, string> = {
  NHI1: 'Improper offboarding',
  NHI2: 'Secret leakage',
  NHI3: 'Vulnerable third-party NHI',
  NHI4: 'Insecure authentication',
  NHI5: 'Overprivileged NHI',
  NHI6: 'Insecure cloud deployment configurations',
  NHI7: 'Long-lived secrets',
  NHI8: 'Environment isolation',
  NHI9: 'NHI reuse',
  NHI10: 'Human use of NHI',
};

/** One named reason an identity is risky, with the records that show it. */
export const RiskFactor = z.object({
  code: z.string().min(1),
  title: z.string().min(1),
  weight: z.number(),
  evidence: z.array(z.string()).default([]),
  detail: z.string().default(''),
});
export type RiskFactor = z.infer<typeof RiskFactor>;

/** A derived posture fact about one identity, stored so that briefings can show trends. */
export const Finding = z.object({
  id: z.string().min(1),
  identityId: z.string().min(1),
  code: z.string().min(1),
  title: z.string().min(1),
  severity: Severity,
  weight: z.number(),
  evidence: z.array(z.string()).default([]),
  detail: z.string().default(''),
  firstSeen: IsoTime,
  lastSeen: IsoTime,
});
export type Finding = z.infer<typeof Finding>;
