import type { TraceResult } from './types.js';

/** A Mermaid flowchart of a trace: nodes once each, observed hops solid, potential-only dashed. */
export function toMermaid(t: TraceResult, names: Map<string, string> = new Map()): string {
  const ids = new Map<string, string>();
  const nodeId = (id: string) => {
    let n = ids.get(id);
    if (!n) ids.set(id, (n = `n${ids.size}`));
    return n;
  };
  const label = (id: string) => (names.get(id) ?? id.split(/[:/]/).filter(Boolean).pop() ?? id).replace(/["<>]/g, '');
  const lines = ['flowchart LR'];
  const edges = new Set<string>();
  for (const p of [...t.upstream, ...t.downstream]) {
    for (const h of p.hops) {
      const line = `  ${nodeId(h.from)} ${h.observed ? '-->' : '-.->'}|${h.edge}${h.observed && h.count ? ` x${h.count}` : ''}| ${nodeId(h.to)}`;
      edges.add(line);
    }
  }
  nodeId(t.identity);
  for (const [id, n] of ids) lines.push(`  ${n}["${label(id)}"]`);
  lines.push(...edges);
  lines.push(`  style ${nodeId(t.identity)} stroke-width:3px`);
  return lines.join('\n');
}
