import type { EscalationPath, EscalationStep } from './types.js';

export interface GraphNode {
  id: string;
  name: string;
  provider: string;
  kind: string;
  /** Listed in results: people and machines that can start a path (not groups, not roles of Kubernetes). */
  principal: boolean;
}

/** Vias that use delegation a principal was given rather than a weakness: they alone do not make an escalation. */
const DELEGATION = new Set(['aws-assume-role', 'federates_to', 'runs_as', 'member_of', 'gcp-impersonate', 'gcp-workload-identity']);

export function isEscalationStep(s: EscalationStep): boolean {
  return s.gains === 'admin' || s.via.split('+').some((v) => !DELEGATION.has(v));
}

/**
 * The escalation graph of a whole estate, built once: `moves` (from can act as to), `finishes` (from
 * makes to an administrator and acts as it) and administrators. Distances to an administrator come
 * from one backward breadth-first pass over all principals; path enumeration then only follows moves
 * that can still reach an administrator within the remaining depth.
 */
export class EscalationGraph {
  readonly nodes = new Map<string, GraphNode>();
  readonly admins = new Set<string>();
  private readonly moves = new Map<string, EscalationStep[]>();
  private readonly finishes = new Map<string, EscalationStep[]>();
  private dist: Map<string, number> | null = null;
  /** Bit r set: some walk of exactly r steps from the node ends at an administrator. */
  private ends: Map<string, number> | null = null;
  private definite: Map<string, number> | null = null;
  /** Moves worth adding only towards targets that reach an administrator (see addCandidates). */
  private readonly candidates: Array<{ from: string; targets: readonly string[]; make: (to: string) => EscalationStep; done: Set<string> }> = [];

  addNode(n: GraphNode): void {
    const old = this.nodes.get(n.id);
    if (!old || (!old.principal && n.principal)) this.nodes.set(n.id, n);
  }

  addAdmin(id: string): void {
    this.admins.add(id);
    this.dist = null;
    this.definite = null;
  }

  addMove(s: EscalationStep): void {
    if (s.from === s.to) return;
    push(this.moves, s.from, s);
    this.dist = null;
    this.definite = null;
  }

  addFinish(s: EscalationStep): void {
    push(this.finishes, s.from, s);
    this.dist = null;
    this.definite = null;
  }

  /**
   * Moves from one principal to many targets that mostly lead nowhere (every role a service may run as,
   * for "update any function's code"): they are added only for targets that reach an administrator,
   * settled to a fixed point before distances are read, so no path is lost and the graph stays small.
   */
  addCandidates(from: string, targets: readonly string[], make: (to: string) => EscalationStep): void {
    if (!targets.length) return;
    this.candidates.push({ from, targets, make, done: new Set() });
    this.dist = null;
    this.definite = null;
  }

  movesFrom(id: string): EscalationStep[] {
    return this.moves.get(id) ?? [];
  }

  finishesFrom(id: string): EscalationStep[] {
    return this.finishes.get(id) ?? [];
  }

  stepCount(): number {
    let n = 0;
    for (const l of this.moves.values()) n += l.length;
    for (const l of this.finishes.values()) n += l.length;
    return n;
  }

  /** Fewest steps from each node to an administrator (absent: none within `maxDepth`). */
  distances(maxDepth: number): Map<string, number> {
    if (this.dist) return this.dist;
    let dist = this.search(maxDepth, false);
    for (let round = 0; round <= maxDepth; round++) {
      let added = 0;
      for (const c of this.candidates) {
        for (const t of c.targets) {
          if (t === c.from || c.done.has(t) || !dist.has(t)) continue;
          c.done.add(t);
          push(this.moves, c.from, c.make(t));
          added++;
        }
      }
      if (!added) break;
      dist = this.search(maxDepth, false);
    }
    // Try the moves that get closest first: paths come out shortest first.
    for (const list of this.moves.values()) list.sort((a, b) => (dist.get(a.to) ?? 99) - (dist.get(b.to) ?? 99) || a.to.localeCompare(b.to) || a.via.localeCompare(b.via));
    this.ends = this.exactLengths(maxDepth, dist);
    this.dist = dist;
    return dist;
  }

  /** Fewest steps using only steps that need no unknown fact: the principals that certainly escalate. */
  definiteDistances(maxDepth: number): Map<string, number> {
    this.distances(maxDepth);
    this.definite ??= this.search(maxDepth, true);
    return this.definite;
  }

  /**
   * Principals with a path that uses an escalation method (not only delegation they were given), within
   * `maxDepth`: `definite` when such a path needs no unknown fact, else `conditional`.
   */
  escalations(maxDepth: number): Map<string, 'definite' | 'conditional'> {
    const out = new Map<string, 'definite' | 'conditional'>();
    for (const definiteOnly of [false, true]) {
      const reach = definiteOnly ? this.definiteDistances(maxDepth) : this.distances(maxDepth);
      // esc(x, k): a path of at most k steps, with an escalation step, ends at an administrator.
      let esc = new Map<string, number>();
      for (const [from, list] of this.finishes) if (list.some((s) => !definiteOnly || !s.conditional)) esc.set(from, 1);
      for (let round = 0; round < maxDepth; round++) {
        const next = new Map(esc);
        for (const [from, list] of this.moves) {
          for (const m of list) {
            if (definiteOnly && m.conditional) continue;
            const viaEsc = isEscalationStep(m) && reach.has(m.to) ? reach.get(m.to)! + 1 : Infinity;
            const viaNext = esc.has(m.to) ? esc.get(m.to)! + 1 : Infinity;
            const best = Math.min(viaEsc, viaNext);
            if (best <= maxDepth && best < (next.get(from) ?? Infinity)) next.set(from, best);
          }
        }
        esc = next;
      }
      for (const id of esc.keys()) out.set(id, definiteOnly ? 'definite' : 'conditional');
    }
    return out;
  }

  /** Backward breadth-first search from the administrators (and the principals that can finish). */
  private search(maxDepth: number, definiteOnly: boolean): Map<string, number> {
    const into = new Map<string, string[]>();
    for (const [from, list] of this.moves) for (const s of list) if (!definiteOnly || !s.conditional) push(into, s.to, from);
    const dist = new Map<string, number>();
    let frontier = [...this.admins];
    for (const a of frontier) dist.set(a, 0);
    const finishers = [...this.finishes].filter(([, l]) => !definiteOnly || l.some((s) => !s.conditional)).map(([k]) => k);
    for (let d = 0; d < maxDepth; d++) {
      const next: string[] = [];
      const reach = (n: string) => {
        if (dist.has(n)) return;
        dist.set(n, d + 1);
        next.push(n);
      };
      if (d === 0) for (const f of finishers) reach(f);
      for (const n of frontier) for (const p of into.get(n) ?? []) reach(p);
      if (!next.length) break;
      frontier = next;
    }
    return dist;
  }

  /**
   * Which exact path lengths can end at an administrator from each node (ignoring the no-revisit rule,
   * so it over-approximates): enumeration of paths of length L only follows moves that can still end
   * in exactly the steps left, which keeps the search proportional to the paths it returns.
   */
  private exactLengths(maxDepth: number, dist: Map<string, number>): Map<string, number> {
    const ends = new Map<string, number>();
    for (const id of dist.keys()) {
      if (this.admins.has(id)) continue;
      const one = this.finishesFrom(id).length > 0 || this.movesFrom(id).some((m) => this.admins.has(m.to));
      if (one) ends.set(id, 1 << 1);
    }
    for (let r = 2; r <= maxDepth; r++) {
      const bit = 1 << r;
      const prev = 1 << (r - 1);
      for (const id of dist.keys()) {
        if (this.admins.has(id)) continue;
        for (const m of this.movesFrom(id)) {
          if (!this.admins.has(m.to) && ((ends.get(m.to) ?? 0) & prev)) {
            ends.set(id, (ends.get(id) ?? 0) | bit);
            break;
          }
        }
      }
    }
    return ends;
  }

  /**
   * Every simple path (no principal twice) from `start` to an administrator, shortest first, up to
   * `maxDepth` steps and `maxPaths` paths; `budget` bounds the search so that a dense estate cannot
   * stall it. `found` counts the paths seen, `truncated` says the search stopped early.
   */
  paths(start: string, maxDepth: number, maxPaths: number, budget = 50_000): { paths: EscalationPath[]; found: number; truncated: boolean } {
    const dist = this.distances(maxDepth);
    const d0 = dist.get(start);
    const out: EscalationPath[] = [];
    let found = 0;
    let truncated = false;
    if (d0 === undefined || d0 === 0) return { paths: out, found, truncated };
    const ends = this.ends!;
    let work = 0;
    const visited = new Set<string>([start]);
    const stack: EscalationStep[] = [];
    const emit = (last: EscalationStep) => {
      found++;
      if (out.length < maxPaths) out.push({ steps: [...stack, last] });
      else truncated = true;
    };
    const walk = (node: string, remaining: number): void => {
      if (truncated || ++work > budget) {
        truncated = true;
        return;
      }
      if (remaining === 1) {
        for (const f of this.finishesFrom(node)) if (f.to === node || !visited.has(f.to)) emit(f);
        for (const m of this.movesFrom(node)) if (this.admins.has(m.to) && !visited.has(m.to)) emit(m);
        return;
      }
      const want = 1 << (remaining - 1);
      for (const m of this.movesFrom(node)) {
        if (truncated) return;
        if (this.admins.has(m.to) || visited.has(m.to) || !((ends.get(m.to) ?? 0) & want)) continue;
        visited.add(m.to);
        stack.push(m);
        walk(m.to, remaining - 1);
        stack.pop();
        visited.delete(m.to);
      }
    };
    const startEnds = ends.get(start) ?? 0;
    for (let length = d0; length <= maxDepth && !truncated; length++) if (startEnds & (1 << length)) walk(start, length);
    return { paths: out, found, truncated };
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
