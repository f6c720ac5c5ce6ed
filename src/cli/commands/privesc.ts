import { Command } from 'commander';
import { PRIVESC_LIMITS, privesc, resolveCatalog, type PrivescResult } from '../../engines/privesc/index.js';
import { globals, printJson, withGlobals, withStore } from '../context.js';

export function privescCommand(): Command {
  return withGlobals(new Command('privesc'))
    .description('privilege escalation: who can reach administrator (AWS account, Kubernetes cluster, GCP owner/editor), in how many steps, and every path (bounded)')
    .argument('[id]', 'one identity; without it, every principal that escalates or reaches an administrator')
    .option('--catalog <file>', 'escalation catalogue (this project\'s YAML or pathfinding.cloud\'s paths catalogue); default $IDCOPILOT_PRIVESC_CATALOG, else the built-in one')
    .option('--depth <n>', `steps per path (1-${PRIVESC_LIMITS.maxDepth})`, (v) => Number(v), PRIVESC_LIMITS.maxDepth)
    .option('--max-paths <n>', 'paths listed per principal (the number found is reported)', (v) => Number(v), PRIVESC_LIMITS.maxPaths)
    .option('--all', 'list administrators and principals that reach nothing too')
    .option('--json', 'print { principals: [{ id, name, reachesAdmin, steps, escalation, paths: [{ steps: [{ from, to, via, actions }] }], pathsFound, truncated }], totals }')
    .action(async (id: string | undefined, opts, cmd: Command) => {
      const catalog = resolveCatalog(opts.catalog);
      const r = await withStore(cmd, (db) => privesc(db, { id, catalog, maxDepth: opts.depth, maxPaths: opts.maxPaths, all: opts.all }));
      if (globals(cmd).json) return printJson(r);
      process.stdout.write(renderPrivesc(r));
    });
}

export function renderPrivesc(r: PrivescResult): string {
  const t = r.totals;
  const out = [`${t.principals} principals: ${t.admins} administrators, ${t.reachAdmin} reach administrator, ${t.escalate} escalate (${t.escalateDefinite} without any unknown fact)`];
  for (const p of r.principals) {
    const state = p.isAdmin ? 'administrator' : p.reachesAdmin ? `reaches admin in ${p.steps} step(s)${p.conditional ? ', conditionally' : ''}` : 'no path to admin';
    out.push('', `${p.name} (${p.id}) [${p.provider} ${p.kind}]: ${state}${p.escalation !== 'none' ? `; escalation ${p.escalation}` : ''}`);
    for (const path of p.paths.slice(0, 10)) {
      out.push(`  ${path.steps.map((s, i) => `${i === 0 ? short(s.from) : ''} -[${s.via}${s.conditional ? '?' : ''}: ${s.actions.slice(0, 3).join(', ')}${s.actions.length > 3 ? ', ...' : ''}]-> ${short(s.to)}${s.gains === 'admin' ? ' (made admin)' : ''}`).join('')}`);
    }
    if (p.pathsFound > Math.min(10, p.paths.length)) out.push(`  ... ${p.pathsFound}${p.truncated ? '+' : ''} paths in all (--json, --max-paths)`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push('', '? = conditional step: it needs a fact the store cannot show (a condition, a running workload, an older policy version)');
  return out.join('\n') + '\n';
}

function short(id: string): string {
  const m = /^arn:[^:]+:iam::(\d+):(?:user|role|group)(?:\/.*)?\/([^/]+)$/.exec(id);
  return m ? `${m[2]}@${m[1]}` : id;
}
