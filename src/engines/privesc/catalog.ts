import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { FormatError } from '../../lib/errors.js';

/**
 * The escalation catalogue: methods as data (src/engines/privesc/catalog.yaml), each with the actions
 * it needs, what its first action is checked on, and what it yields. A catalogue in the pathfinding.cloud
 * format (`paths: [{ id, name, category, required_actions }]`) loads too: each path is read as one of
 * this catalogue's methods (or a grant plus a move), and paths that fit none are reported, not guessed.
 */
export const Yields = z.enum([
  'grant', 'grant_unbounded', 'credentials', 'assume', 'trust', 'membership', 'passed_role', 'workload_role',
  'k8s_admin', 'k8s_serviceaccounts', 'k8s_users', 'k8s_pod_serviceaccounts', 'k8s_token_serviceaccounts',
  'gcp_impersonate', 'gcp_admin', 'gcp_project_serviceaccounts',
]);
export type Yields = z.infer<typeof Yields>;

export const Method = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dot, dash or underscore'),
  provider: z.enum(['aws', 'k8s', 'gcp']),
  name: z.string().min(1),
  /** Every one of these must be allowed. AWS: `service:Action`; Kubernetes: `verb resource`; GCP: a permission. */
  requires: z.array(z.string().min(1)).min(1),
  target: z.enum(['user', 'role', 'group', 'policy', 'cluster', 'namespace', 'serviceaccount', 'project']),
  yields: Yields,
  services: z.array(z.string()).optional(),
  instanceProfile: z.boolean().optional(),
  /** The method needs a fact the store cannot show (an older policy version, a running function). */
  conditional: z.boolean().optional(),
  /** For methods read from another catalogue: its id and wording. */
  source: z.string().optional(),
});
export type Method = z.infer<typeof Method>;

export const OwnCatalogFile = z.strictObject({ version: z.literal(1), methods: z.array(Method).min(1) });

export interface Catalog {
  /** `builtin`, or the file it was read from. */
  origin: string;
  format: 'idcopilot' | 'pathfinding';
  methods: Method[];
  /** For a foreign catalogue: each entry and how it was read. */
  mapping: CatalogMapping[];
}

export interface CatalogMapping {
  id: string;
  name: string;
  actions: string[];
  /** `method`: one method of this engine; `composite`: a grant and a move; `none`: not modelled. */
  modelled: 'method' | 'composite' | 'none';
  methods: string[];
  reason: string;
}

const BUILTIN = fileURLToPath(new URL('./catalog.yaml', import.meta.url));
let builtin: Catalog | null = null;

/** The catalogue shipped with the project. */
export function builtinCatalog(): Catalog {
  builtin ??= parseCatalog(readFileSync(BUILTIN, 'utf8'), BUILTIN, 'builtin');
  return builtin;
}

/** A catalogue file in either format. Throws FormatError naming the file and line. */
export function loadCatalog(path: string): Catalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FormatError(path, `cannot read the catalogue (${(e as Error).message})`, {}, 'E_IO');
  }
  return parseCatalog(text, path, path);
}

export function parseCatalog(text: string, path: string, origin: string): Catalog {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = lines.linePos(e.pos[0]);
    throw new FormatError(path, `not valid YAML or JSON: ${e.message.split('\n')[0]}`, { line: pos.line, column: pos.col });
  }
  const root = doc.contents;
  // An unresolved or runaway alias only fails here, after parsing: still the file's fault, so a FormatError.
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new FormatError(path, `not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`, { line: 1 });
  }
  if (!isMap(root) || !value || typeof value !== 'object') throw new FormatError(path, 'expected a catalogue (a mapping with `methods:` or `paths:`)', { line: 1 });
  const lineOf = (key: string, index: number): number | undefined => {
    const seq = root.get(key, true);
    if (!isSeq(seq)) return undefined;
    const node = seq.items[index] as { range?: [number, number, number] } | undefined;
    return node?.range ? lines.linePos(node.range[0]).line : undefined;
  };
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.paths)) return fromPathfinding(v.paths, path, origin, (i) => lineOf('paths', i));
  if (!Array.isArray(v.methods)) throw new FormatError(path, 'expected `methods:` (this project\'s catalogue) or `paths:` (pathfinding.cloud)', { line: 1 });
  const parsed = OwnCatalogFile.safeParse(v);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path[0] === 'methods' && typeof issue.path[1] === 'number' ? lineOf('methods', issue.path[1]) : 1;
    throw new FormatError(path, `${issue.path.join('.') || 'catalogue'}: ${issue.message}`, { line: at });
  }
  const seen = new Set<string>();
  parsed.data.methods.forEach((m, i) => {
    if (seen.has(m.id)) throw new FormatError(path, `methods[${i}]: duplicate id ${m.id}`, { line: lineOf('methods', i) });
    seen.add(m.id);
    if ((m.yields === 'passed_role' || m.yields === 'workload_role') && !m.services?.length) {
      throw new FormatError(path, `methods[${i}] (${m.id}): ${m.yields} needs services`, { line: lineOf('methods', i) });
    }
  });
  return { origin, format: 'idcopilot', methods: parsed.data.methods, mapping: [] };
}

const PathEntry = z.object({
  id: z.string().min(1),
  name: z.string().default(''),
  category: z.string().default(''),
  required_actions: z.array(z.string().min(1)).min(1),
});

const MOVES = new Set<Yields>(['assume', 'trust', 'credentials']);
const GRANT_TARGET_FOR_MOVE: Record<string, Method['target'][]> = { role: ['role', 'policy'], user: ['user', 'policy', 'group'] };

/**
 * Read pathfinding.cloud paths as methods of this engine: a path whose actions are exactly a method's
 * becomes that method; a grant plus a move on the same kind of principal (iam:AttachRolePolicy +
 * sts:AssumeRole) becomes a composite, which the engine finds on its own; a path that needs more
 * than a method (ecs:CreateCluster besides RegisterTaskDefinition and RunTask) becomes the method with
 * all of the path's actions required. The rest are listed as not modelled.
 */
function fromPathfinding(paths: unknown[], path: string, origin: string, lineOf: (i: number) => number | undefined): Catalog {
  const own = builtinCatalog().methods.filter((m) => m.provider === 'aws');
  const methods: Method[] = [];
  const mapping: CatalogMapping[] = [];
  paths.forEach((raw, i) => {
    const r = PathEntry.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new FormatError(path, `paths[${i}].${issue.path.join('.')}: ${issue.message}`, { line: lineOf(i) });
    }
    const p = r.data;
    const actions = [...new Set(p.required_actions.map((a) => a.toLowerCase()))].sort();
    const base = { id: p.id, name: p.name, actions };
    const covered = own.filter((m) => m.requires.every((a) => actions.includes(a.toLowerCase())));
    const exact = covered.find((m) => m.requires.length === actions.length);
    const asMethod = (m: Method): Method => ({ ...m, id: safeId(p.id), name: p.name || m.name, requires: p.required_actions, source: `${p.id}: read as ${m.id}` });
    if (exact) {
      methods.push(asMethod(exact));
      mapping.push({ ...base, modelled: 'method', methods: [exact.id], reason: `same actions as ${exact.id}` });
      return;
    }
    for (const move of covered.filter((m) => MOVES.has(m.yields))) {
      const grants = covered.filter((g) => g.yields === 'grant' && GRANT_TARGET_FOR_MOVE[move.target]?.includes(g.target));
      const grant = grants.find((g) => new Set([...g.requires, ...move.requires].map((a) => a.toLowerCase())).size === actions.length);
      if (grant) {
        mapping.push({ ...base, modelled: 'composite', methods: [grant.id, move.id], reason: `${grant.id} on a ${move.target} it can become through ${move.id}` });
        return;
      }
    }
    const widest = covered.sort((a, b) => b.requires.length - a.requires.length)[0];
    if (widest) {
      methods.push(asMethod(widest));
      mapping.push({ ...base, modelled: 'method', methods: [widest.id], reason: `${widest.id}, with ${actions.length - widest.requires.length} more action(s) required` });
      return;
    }
    mapping.push({ ...base, modelled: 'none', methods: [], reason: 'no method of this engine needs only these actions' });
  });
  // Composite paths are found from their parts: keep the parts even when the file has no path of its own for them.
  const ids = new Set(methods.map((m) => m.source?.split(': read as ')[1]));
  for (const m of mapping) {
    if (m.modelled !== 'composite') continue;
    for (const id of m.methods) {
      if (ids.has(id)) continue;
      const part = own.find((x) => x.id === id)!;
      methods.push({ ...part, source: `part of ${m.id}` });
      ids.add(id);
    }
  }
  return { origin, format: 'pathfinding', methods, mapping };
}

function safeId(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
}

/** The catalogue a run uses: `--catalog FILE`, else IDCOPILOT_PRIVESC_CATALOG, else the built-in one. */
export function resolveCatalog(file?: string): Catalog {
  const path = file ?? process.env.IDCOPILOT_PRIVESC_CATALOG;
  if (!path) return builtinCatalog();
  const loaded = loadCatalog(path);
  // A foreign catalogue speaks for AWS only: Kubernetes and GCP keep the built-in methods.
  if (loaded.format === 'pathfinding') loaded.methods.push(...builtinCatalog().methods.filter((m) => m.provider !== 'aws'));
  return loaded;
}
