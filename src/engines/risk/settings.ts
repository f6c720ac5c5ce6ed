import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { CopilotError } from '../../lib/errors.js';
import { Config } from '../../model/index.js';

/**
 * Risk weights and thresholds: src/engines/risk/defaults.yaml, overridden by idcopilot.yaml `risk:`.
 * Weight keys are `CODE.signal`; an override by `CODE` alone applies to every signal of that code.
 */
export const DEFAULTS_FILE = fileURLToPath(new URL('./defaults.yaml', import.meta.url));

const Defaults = z.strictObject({
  weights: z.record(z.string().regex(/^[A-Z][A-Z0-9]*\.[a-z0-9_]+$/, 'weights are keyed CODE.signal'), z.number().min(0).max(100)),
  thresholds: z.record(z.string(), z.number()),
});

export const THRESHOLD_NAMES = [
  'keyMaxAgeDays', 'staleAfterDays', 'longLivedFactor', 'lookbackDays', 'reuseNetworks', 'reuseAgents', 'wideReachIdentities',
  'unusedServiceShare', 'evidenceCap', 'bandCritical', 'bandHigh', 'bandMedium', 'baselineLearnDays', 'baselineMinEvents',
  'baselineMinHistoryHours', 'baselineRateFactor', 'baselineRateMinEvents', 'baselineMaxActiveHours', 'baselineDormantMinDays',
  'baselineMaxValuesPerDim', 'baselineMaxDiversity',
] as const;
export type ThresholdName = (typeof THRESHOLD_NAMES)[number];
export type Thresholds = Record<ThresholdName, number>;

export interface RiskSettings {
  /** Effective weight per `CODE.signal`. */
  weights: Record<string, number>;
  thresholds: Thresholds;
}

let cached: z.infer<typeof Defaults> | null = null;

export function readDefaults(): z.infer<typeof Defaults> {
  if (cached) return cached;
  const parsed = Defaults.safeParse(YAML.parse(readFileSync(DEFAULTS_FILE, 'utf8')));
  if (!parsed.success) throw new CopilotError('E_CONFIG', `${DEFAULTS_FILE}: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
  const missing = THRESHOLD_NAMES.filter((n) => parsed.data.thresholds[n] === undefined);
  if (missing.length) throw new CopilotError('E_CONFIG', `${DEFAULTS_FILE}: thresholds lack ${missing.join(', ')}`);
  return (cached = parsed.data);
}

/** Defaults with the configuration's `risk:` section applied. Unknown names are refused, not ignored. */
export function riskSettings(risk: Config['risk'] = Config.parse({}).risk): RiskSettings {
  const d = readDefaults();
  const weights = { ...d.weights };
  const codes = new Set(Object.keys(weights).map((k) => k.split('.')[0]));
  for (const [key, w] of Object.entries(risk.weights ?? {})) {
    if (key.includes('.')) {
      if (!(key in weights)) throw new CopilotError('E_CONFIG', `risk.weights.${key}: no such signal (known: ${Object.keys(weights).join(', ')})`);
      weights[key] = w;
    } else {
      if (!codes.has(key)) throw new CopilotError('E_CONFIG', `risk.weights.${key}: no such factor code (known: ${[...codes].join(', ')})`);
      for (const k of Object.keys(weights)) if (k.startsWith(`${key}.`)) weights[k] = w;
    }
  }
  // Signal-level overrides win over code-level ones whatever their order in the file.
  for (const [key, w] of Object.entries(risk.weights ?? {})) if (key.includes('.')) weights[key] = w;
  const thresholds = { ...d.thresholds } as Thresholds;
  thresholds.keyMaxAgeDays = risk.keyMaxAgeDays ?? thresholds.keyMaxAgeDays;
  thresholds.staleAfterDays = risk.staleAfterDays ?? thresholds.staleAfterDays;
  for (const [key, v] of Object.entries(risk.thresholds ?? {})) {
    if (!(THRESHOLD_NAMES as readonly string[]).includes(key)) throw new CopilotError('E_CONFIG', `risk.thresholds.${key}: unknown threshold (known: ${THRESHOLD_NAMES.join(', ')})`);
    thresholds[key as ThresholdName] = v;
  }
  return { weights, thresholds };
}

/** The weight of one signal. */
export function weightOf(s: RiskSettings, code: string, signal: string): number {
  return s.weights[`${code}.${signal}`] ?? 0;
}
