import { matchesAny } from '../../lib/patterns.js';
import type { BusinessImpact, Config } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { trace } from '../delegation/index.js';
import type { StoryActivity } from './activity.js';

/**
 * Business impact in words: what the resources the story touched hold (classification tags, the
 * crown-jewel list in idcopilot.yaml, tags that say what the data is), and what else the chain could
 * reach. Answers "what business risk does this create" with the systems named.
 */
export interface ResourceFacts {
  id: string;
  name: string;
  type: string;
  classification: string | null;
  environment: string;
  tags: Record<string, string>;
}

const RANK: Record<string, number> = { 'crown-jewel': 4, restricted: 3, confidential: 2, internal: 1, public: 0 };

export async function resourceFacts(db: Db, ids: string[]): Promise<Map<string, ResourceFacts>> {
  const out = new Map<string, ResourceFacts>();
  if (!ids.length) return out;
  const rows = await db.query(`SELECT id, name, type, classification, environment, tags FROM resources WHERE id = ANY($1::text[])`, [ids]);
  for (const r of rows) out.set(r.id, { id: r.id, name: r.name, type: r.type, classification: r.classification ?? null, environment: r.environment ?? 'unknown', tags: r.tags ?? {} });
  return out;
}

export function crownJewelOf(id: string, tags: Record<string, string>, jewels: Config['crownJewels']): string | null {
  for (const j of jewels) if (matchesAny(id, [j.resource])) return j.name ?? (j.why || j.resource);
  if (/^(true|yes|1)$/i.test(tags['crown-jewel'] ?? tags['crown_jewel'] ?? tags.CrownJewel ?? '')) return 'tagged crown-jewel';
  return null;
}

/** What a resource holds, from the tags people put on it. */
export function whatItHolds(r: ResourceFacts | undefined, id: string): string {
  const tags = r?.tags ?? {};
  const lower = Object.fromEntries(Object.entries(tags).map(([k, v]) => [k.toLowerCase().replace(/[-_ ]/g, ''), v]));
  const bits: string[] = [];
  for (const k of ['datatype', 'data', 'contains', 'datacategory', 'description', 'purpose']) if (lower[k]) bits.push(lower[k]);
  const cls = lower.dataclassification ?? lower.classification ?? lower.sensitivity;
  if (cls && !bits.includes(cls)) bits.push(`classified ${cls}`);
  for (const k of ['compliance', 'regulation', 'regulatory']) if (lower[k]) bits.push(lower[k]);
  if (lower.app ?? lower.application ?? lower.service) bits.push(`used by ${lower.app ?? lower.application ?? lower.service}`);
  if (!bits.length) return r ? `${r.type || 'resource'}${r.classification ? ` (${r.classification})` : ''}` : kindOfId(id);
  return bits.join('; ');
}

function kindOfId(id: string): string {
  if (id.startsWith('arn:aws:s3:::')) return 'S3 bucket';
  if (id.startsWith('arn:aws:secretsmanager:')) return 'secret';
  if (id.startsWith('arn:aws:kms:')) return 'KMS key';
  if (id.startsWith('arn:aws:ssm:')) return 'SSM parameter';
  if (id.startsWith('arn:aws:dynamodb:')) return 'DynamoDB table';
  if (id.startsWith('github:repo:')) return 'repository';
  if (id.startsWith('k8s:secret:')) return 'Kubernetes secret';
  return 'resource';
}

type Touched = { id: string; name: string; classification: string | null; crownJewel: string | null; events: number; what: string; writes: number };

export interface ImpactResult {
  impact: BusinessImpact;
  touched: Touched[];
  activity: StoryActivity;
  /** Strongest sensitivity touched: crown-jewel, restricted, confidential, internal; null if none known. */
  sensitivity: string | null;
  sensitiveNote: string | null;
}

export async function businessImpact(db: Db, activity: StoryActivity, deepest: string, cfg: Config, opts: { reach?: boolean; names?: Map<string, string> } = {}): Promise<ImpactResult> {
  const ids = [...activity.touched.keys()];
  const facts = await resourceFacts(db, ids);
  const touched = ids.map((id) => {
    const f = facts.get(id);
    const t = activity.touched.get(id)!;
    const jewel = crownJewelOf(id, f?.tags ?? {}, cfg.crownJewels);
    const configured = cfg.crownJewels.find((j) => matchesAny(id, [j.resource]));
    const classification = f?.classification ?? configured?.classification ?? null;
    return { id, name: f?.name ?? id.split(/[:/]/).filter(Boolean).pop() ?? id, classification, crownJewel: jewel, events: t.count, what: whatItHolds(f, id), writes: t.writes };
  }).sort((a, b) => level(b) - level(a) || b.events - a.events || (a.id < b.id ? -1 : 1));

  const reach = opts.reach === false ? null : await reachOf(db, deepest, cfg);
  const top = touched[0];
  const sensitivity = top ? (top.crownJewel ? 'crown-jewel' : top.classification) : null;
  const sensitiveNote = top && sensitivity ? `${top.events} call(s) on ${top.name} (${top.crownJewel ? `crown jewel: ${top.crownJewel}` : top.classification})` : null;
  return { impact: { summary: summary(touched, reach, activity), touched: touched.slice(0, 20).map(({ writes: _w, ...t }) => t), reach }, sensitivity, sensitiveNote, touched, activity };
}

/** Add what the chain could reach (a bounded downstream trace) to an assessment made without it. */
export async function withReach(db: Db, r: ImpactResult, deepest: string, cfg: Config): Promise<ImpactResult> {
  const reach = await reachOf(db, deepest, cfg);
  return { ...r, impact: { ...r.impact, reach, summary: summary(r.touched, reach, r.activity) } };
}

/** Bounded downstream trace from the deepest identity: what else the same chain can reach. */
async function reachOf(db: Db, deepest: string, cfg: Config): Promise<BusinessImpact['reach']> {
  try {
    const t = await trace(db, deepest, { direction: 'down', depth: 3, fanout: 100, maxNodes: 2000, maxPaths: 10, deadlineMs: 3000, crownJewels: cfg.crownJewels.map((j) => j.resource) });
    if (!t.blastRadius) return null;
    const b = t.blastRadius;
    return { identities: b.identities, resources: b.resources, restricted: (b.byClassification.restricted ?? 0) + b.crownJewels.length, crownJewels: b.crownJewels.slice(0, 10) };
  } catch {
    return null;
  }
}

function level(t: { crownJewel: string | null; classification: string | null }): number {
  return t.crownJewel ? RANK['crown-jewel'] : RANK[t.classification ?? ''] ?? -1;
}

function summary(touched: Touched[], reach: BusinessImpact['reach'], a: StoryActivity): string {
  const parts: string[] = [];
  const sensitive = touched.filter((t) => t.crownJewel || t.classification === 'restricted' || t.classification === 'confidential');
  if (sensitive.length) {
    const t = sensitive[0];
    const verb = t.writes > 0 && t.writes === t.events ? 'changed' : t.writes > 0 ? 'read and changed' : 'read';
    parts.push(`It ${verb} ${t.name} (${t.crownJewel ? `crown jewel: ${t.crownJewel}` : t.classification}; ${t.what}) in ${t.events} call(s)`);
    if (sensitive.length > 1) parts.push(`and ${sensitive.length - 1} other sensitive resource(s): ${sensitive.slice(1, 4).map((s) => s.name).join(', ')}`);
    const risk = t.crownJewel || t.classification === 'restricted'
      ? 'Business risk: exposure of restricted data, which may oblige a breach notification and a customer or regulator response'
      : 'Business risk: exposure of confidential company data';
    parts.push(risk);
  } else if (touched.length) {
    parts.push(`It touched ${touched.length} resource(s) (${touched.slice(0, 3).map((t) => t.name).join(', ')}), none classified sensitive`);
  } else if (a.failures && !a.writes) {
    parts.push('Its calls were denied: no resource access succeeded');
  } else {
    parts.push('No data access is recorded for it');
  }
  if (a.writes > 0 && !sensitive.length) parts.push(`${a.writes} change(s) made, which can alter what runs or who has access`);
  if (reach) {
    const jewels = reach.crownJewels.length ? `, including crown jewels ${reach.crownJewels.slice(0, 3).join(', ')}` : '';
    parts.push(`Through the same chain it can reach ${reach.identities} identities and ${reach.resources} resources (${reach.restricted} restricted)${jewels}`);
  }
  return parts.join('. ') + '.';
}
