import { Command } from 'commander';
import { CopilotError } from '../../lib/errors.js';
import { nodeInfo, toMermaid, trace, traceEvent, type Path, type TraceResult } from '../../engines/delegation/index.js';
import { config, globals, printJson, usage, withGlobals, withStore } from '../context.js';

export function traceCommand(): Command {
  return withGlobals(new Command('trace'))
    .description('delegation chains: who can act as an identity (up), what it can reach (down), or the real chain behind one event')
    .argument('[id]', 'identity id (ARN, provider:type:id)')
    .option('--event <eventId>', 'trace the actual chain behind one logged action')
    .option('--up', 'upstream only: who can act as it, back to the people at the root')
    .option('--down', 'downstream only: what it can act as and reach (blast radius)')
    .option('--both', 'both directions (the default)')
    .option('--depth <n>', 'hops from the identity (1-10)', (v) => Number(v), 6)
    .option('--observed-only', 'only hops that logs show')
    .option('--json', 'print { identity, upstream: [path], downstream: [path] } (path = { hops: [{ from, to, edge, potential, observed, firstSeen, lastSeen, count, evidence }] })')
    .option('--mermaid', 'print a Mermaid flowchart')
    .action(async (id: string | undefined, opts, cmd: Command) => {
      if (!id && !opts.event) usage('give an identity id, or --event EVENT_ID');
      const g = globals(cmd);
      const cfg = config(cmd);
      const direction = opts.up && !opts.down ? 'up' : opts.down && !opts.up ? 'down' : 'both';
      const { result, names } = await withStore(cmd, async (db) => {
        const result: TraceResult & { notes?: string[] } = opts.event
          ? await traceEvent(db, opts.event)
          : await trace(db, id!, { direction, depth: opts.depth, observedOnly: opts.observedOnly, crownJewels: cfg.crownJewels.map((c) => c.resource) });
        const ids = new Set<string>([result.identity]);
        for (const p of [...result.upstream, ...result.downstream]) for (const h of p.hops) ids.add(h.from), ids.add(h.to);
        const info = await nodeInfo(db, [...ids]);
        if (!opts.event && !info.has(result.identity)) throw new CopilotError('E_NOT_FOUND', `no identity ${result.identity} in the store (try: idcopilot lookup ${result.identity})`);
        return { result, names: new Map([...info].map(([k, v]) => [k, v.name])) };
      });
      if (g.json) return printJson(result);
      if (opts.mermaid) return void process.stdout.write(toMermaid(result, names) + '\n');
      process.stdout.write(renderTrace(result, names));
    });
}

export function renderTrace(t: TraceResult & { notes?: string[] }, names: Map<string, string>): string {
  const n = (id: string) => (names.has(id) && names.get(id) !== id ? `${names.get(id)} (${id})` : id);
  const hopText = (p: Path) => p.hops.map((h, i) => `${i === 0 ? n(h.from) : ''}\n      -[${h.edge}${h.observed ? `, observed x${h.count}${h.lastSeen ? ` last ${h.lastSeen.slice(0, 16)}` : ''}` : ', potential'}]-> ${n(h.to)}`).join('');
  const out: string[] = [`Identity: ${n(t.identity)}`];
  if (t.roots.length) out.push(`Roots: ${t.roots.slice(0, 10).map((r) => `${r.name} [${r.kind}${r.observed ? ', observed' : ''}]`).join('; ')}`);
  if (t.upstream.length) {
    out.push(`\nUpstream (who can act as it): ${t.upstream.length} path(s)`);
    for (const p of t.upstream.slice(0, 20)) out.push(`  ${hopText(p)}`);
  }
  if (t.downstream.length) {
    out.push(`\nDownstream (what it can act as and reach): ${t.downstream.length} path(s)`);
    for (const p of t.downstream.slice(0, 20)) out.push(`  ${hopText(p)}`);
  }
  if (t.blastRadius) {
    const b = t.blastRadius;
    out.push(`\nBlast radius: ${b.identities} identities (${Object.entries(b.byPrivilege).map(([k, v]) => `${v} ${k}`).join(', ')}), ${b.resources} resources (${Object.entries(b.byClassification).map(([k, v]) => `${v} ${k}`).join(', ') || 'none known'})`);
    if (b.crownJewels.length) out.push(`Crown jewels reachable: ${b.crownJewels.join(', ')}`);
  }
  for (const note of t.notes ?? []) out.push(`note: ${note}`);
  for (const tr of t.truncated) out.push(`bounded: ${tr}`);
  return out.join('\n') + '\n';
}
