import { nameTokens, normaliseTagKey } from '../../lib/aws/tags.js';
import type { Classification } from '../../model/index.js';

const CLASSIFICATION_RANK: Record<Classification, number> = { public: 0, internal: 1, confidential: 2, restricted: 3 };

const KEYS = new Set(['dataclassification', 'classification', 'sensitivity', 'datasensitivity', 'confidentiality', 'dataclass']);

/** Tag values as organisations write them, to the four levels; the synonyms lean towards the stricter level. */
const LEVELS: Record<string, Classification> = {
  public: 'public', open: 'public',
  internal: 'internal', internalonly: 'internal', private: 'internal', corporate: 'internal', general: 'internal', low: 'internal',
  confidential: 'confidential', sensitive: 'confidential', medium: 'confidential', proprietary: 'confidential',
  restricted: 'restricted', secret: 'restricted', topsecret: 'restricted', highlyconfidential: 'restricted',
  strictlyconfidential: 'restricted', pii: 'restricted', phi: 'restricted', pci: 'restricted', customerdata: 'restricted',
  customer: 'restricted', regulated: 'restricted', high: 'restricted', cardholder: 'restricted', gdpr: 'restricted', hipaa: 'restricted',
};

export interface ClassificationResult {
  classification: Classification | null;
  /** The tag that decided it, or values no level matched (kept so that they can be mapped later). */
  from: string | null;
  unrecognised: string[];
}

/** The strictest level any classification tag names (`data-classification: pii` -> restricted). */
export function classificationFromTags(tags: Record<string, string>): ClassificationResult {
  const out: ClassificationResult = { classification: null, from: null, unrecognised: [] };
  for (const [key, value] of Object.entries(tags)) {
    if (!KEYS.has(normaliseTagKey(key))) continue;
    const level = levelOf(value);
    if (!level) {
      if (value.trim()) out.unrecognised.push(`${key}=${value}`);
      continue;
    }
    if (!out.classification || CLASSIFICATION_RANK[level] > CLASSIFICATION_RANK[out.classification]) {
      out.classification = level;
      out.from = `tag:${key}`;
    }
  }
  return out;
}

function levelOf(value: string): Classification | null {
  const whole = LEVELS[normaliseTagKey(value)];
  if (whole) return whole;
  // `confidential-pii`, `Restricted (PCI)`: the strictest word counts.
  let best: Classification | null = null;
  for (const t of nameTokens(value)) {
    const l = LEVELS[t];
    if (l && (!best || CLASSIFICATION_RANK[l] > CLASSIFICATION_RANK[best])) best = l;
  }
  return best;
}
