import { LineCounter, isMap, isSeq, parseDocument } from 'yaml';
import { FormatError, RecordError } from '../../lib/errors.js';
import { OWNER_SOURCE_CONFIDENCE, type CanonicalRecord } from '../../model/index.js';
import { rec, type Connector, type Sample, type SourceItem } from '../contract.js';
import { headerKey, readCsv, sampleHeader } from '../hr-roster/csv-rows.js';
import type { SourceFile } from '../shared/source-file.js';
import { ownerRef } from './refs.js';

/**
 * Ownership as people keep it in a CMDB or a repository: which person or team answers for which
 * identities, by exact id or by `*` pattern. Two shapes, CSV and YAML (docs/connectors.md). Each entry
 * becomes owner claims (source `ownership-map`, confidence 0.95) that the ownership engine resolves.
 */
export interface MapEntry {
  target: unknown;
  owner: unknown;
  team: unknown;
}

const TARGET_KEYS = ['identity', 'identityid', 'pattern', 'match', 'id', 'arn', 'principal', 'target'];
const OWNER_KEYS = ['owner', 'owners', 'owneremail', 'ownedby', 'contact'];
const TEAM_KEYS = ['team', 'ownerteam', 'owningteam', 'teamname'];

export const connector: Connector = {
  name: 'ownership-map',
  title: 'Ownership map (CSV or YAML)',
  category: 'ownership',
  produces: 'an ownership list kept in a CMDB export (CSV: identity,owner,team,note) or a repository (YAML: owners: [...])',
  detect,
  async *parse(file) {
    if (looksLikeYaml(file.head)) yield* parseYaml(file);
    else yield* parseCsv(file);
  },
};

const YAML_OWNERS = /^owners\s*:/m;

function looksLikeYaml(head: string): boolean {
  return YAML_OWNERS.test(head) && !head.trimStart().startsWith('{');
}

export function detect(sample: Sample): number {
  if (looksLikeYaml(sample.head)) return /\.ya?ml$/i.test(sample.name) ? 0.9 : 0.7;
  const keys = sampleHeader(sample.head);
  const target = TARGET_KEYS.some((k) => keys.includes(k));
  const owner = OWNER_KEYS.some((k) => keys.includes(k)) || TEAM_KEYS.some((k) => keys.includes(k));
  // `id` and `team` alone are also an HR roster's columns: ask for an owner column, or a pattern.
  if (target && owner && (OWNER_KEYS.some((k) => keys.includes(k)) || keys.includes('pattern') || keys.includes('identity'))) return 0.85;
  return 0;
}

async function* parseCsv(file: SourceFile): AsyncGenerator<SourceItem[]> {
  const table = await readCsv(file);
  const keys = table.header.map(headerKey);
  const col = (names: string[]) => {
    for (const n of names) {
      const i = keys.indexOf(n);
      if (i !== -1) return i;
    }
    return -1;
  };
  const t = col(TARGET_KEYS);
  const o = col(OWNER_KEYS);
  const m = col(TEAM_KEYS);
  if (t === -1 || (o === -1 && m === -1)) {
    throw new FormatError(file.path, `header has no identity column (${TARGET_KEYS.join(', ')}) and owner or team column`, { line: 1 });
  }
  for await (const rows of table.rows) {
    yield rows.map((row) => item(file.path, row.index, row.line, { target: row.fields[t], owner: o === -1 ? undefined : row.fields[o], team: m === -1 ? undefined : row.fields[m] }));
  }
}

async function* parseYaml(file: SourceFile): AsyncGenerator<SourceItem[]> {
  const lines = new LineCounter();
  const doc = parseDocument(await file.text(), { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = lines.linePos(e.pos[0]);
    throw new FormatError(file.path, `not valid YAML: ${e.message.split('\n')[0]}`, { line: pos.line, column: pos.col });
  }
  const owners = isMap(doc.contents) ? doc.contents.get('owners', true) : undefined;
  if (!isSeq(owners)) throw new FormatError(file.path, 'expected a top-level `owners:` list of {match, owner, team, note}', { line: 1 });
  const items: SourceItem[] = owners.items.map((node, index) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const line = range ? lines.linePos(range[0]).line : undefined;
    if (!isMap(node)) return { index, line, reject: 'expected a mapping with match (or identity, pattern) and owner or team' };
    let v: Record<string, unknown>;
    try {
      v = node.toJS(doc, { maxAliasCount: 100 }) as Record<string, unknown>;
    } catch (err) {
      return { index, line, reject: `not valid YAML (${(err as Error).message.split('\n')[0]})` };
    }
    const pick = (names: string[]) => {
      for (const [k, x] of Object.entries(v)) if (names.includes(headerKey(k))) return x;
      return undefined;
    };
    return item(file.path, index, line, { target: pick(TARGET_KEYS), owner: pick(OWNER_KEYS), team: pick(TEAM_KEYS) });
  });
  yield items;
}

function item(path: string, index: number, line: number | undefined, entry: MapEntry): SourceItem {
  try {
    return { index, line, records: claims(path, line ?? index + 1, entry) };
  } catch (err) {
    if (err instanceof RecordError) return { index, line, reject: err.message };
    throw err;
  }
}

const confidence = OWNER_SOURCE_CONFIDENCE['ownership-map'];

function claims(path: string, line: number, entry: MapEntry): CanonicalRecord[] {
  const target = typeof entry.target === 'string' ? entry.target.trim() : '';
  if (!target) throw new RecordError('missing identity (match, identity or pattern)');
  const evidence = [`${path}:${line}`];
  const out: CanonicalRecord[] = [];
  for (const owner of listOf(entry.owner, 'owner')) {
    const ref = ownerRef(owner);
    out.push(rec.ownerClaim({ target, ref: ref.ref, refType: ref.refType, role: ref.refType === 'team' ? 'team' : 'owner', source: 'ownership-map', confidence, evidence }));
  }
  for (const team of listOf(entry.team, 'team')) {
    const name = team.replace(/^(hr:)?team:/, '').trim();
    if (name) out.push(rec.ownerClaim({ target, ref: name, refType: 'team', role: 'team', source: 'ownership-map', confidence, evidence }));
  }
  if (out.length === 0) throw new RecordError(`missing owner or team for ${target}`);
  return out;
}

/** One value or several: a YAML list, or `a; b` / `a | b` in a cell. */
function listOf(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  const parts = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const p of parts) {
    if (typeof p !== 'string' && typeof p !== 'number') throw new RecordError(`${field}: expected text, got ${Array.isArray(p) ? 'a list' : typeof p}`);
    for (const s of String(p).split(/[;|]/)) if (s.trim()) out.push(s.trim());
  }
  return out;
}
