import { Command } from 'commander';
import { riskFreshness, riskOf, riskPosture, scoreAll, type RiskPosture } from '../../engines/risk/index.js';
import { CopilotError } from '../../lib/errors.js';
import type { RiskResult } from '../../model/index.js';
import { config, globals, printJson, table, usage, withGlobals, withStore } from '../context.js';

export function riskCommand(): Command {
  return withGlobals(new Command('risk'))
    .description('0-100 risk per identity from named factors (OWASP NHI Top 10 codes NHI1..NHI10, plus detections, behaviour, blast radius, autonomy)')
    .argument('[id]', 'one identity (its score, every factor and the evidence)')
    .option('--top <n>', 'the highest scores, at most n (default 20)', (v) => Number(v), 20)
    .option('--kind <kind...>', 'only identities of these kinds (service_account, role, api_key, ...)')
    .option('--rescore', 're-score now even if the scores are as recent as the data')
    .option('--posture', 'the posture summary instead: counts per factor, machine:human ratio, ownership coverage, orphaned, long-lived, trend')
    .option('--json', 'print { identities: [{ id, kind, name, score, factors: [{ code, title, weight, evidence }] }] } (or the posture object)')
    .action(async (id: string | undefined, opts, cmd: Command) => {
      if (!Number.isInteger(opts.top) || opts.top < 1) usage('--top must be a positive integer');
      const json = Boolean(globals(cmd).json);
      const cfg = config(cmd);
      const out = await withStore(cmd, async (db) => {
        const { scoredAt, latestEvent } = await riskFreshness(db);
        // Scores describe the data: re-score when events arrived after the last scoring, or never scored.
        if (opts.rescore || !scoredAt || (latestEvent && latestEvent > scoredAt)) await scoreAll(db, { config: cfg });
        if (opts.posture) return { kind: 'posture' as const, posture: await riskPosture(db, { orphanLimit: 20 }) };
        const result = await riskOf(db, id ? { ids: [id], kinds: opts.kind } : { top: opts.top, kinds: opts.kind });
        if (id && result.identities.length === 0) throw new CopilotError('E_NOT_FOUND', `no identity ${id} in the store (try: idcopilot lookup ${id})`);
        return { kind: 'risk' as const, result };
      });
      if (out.kind === 'posture') {
        if (json) return printJson(out.posture);
        return void process.stdout.write(renderPosture(out.posture));
      }
      if (json) return printJson(out.result);
      process.stdout.write(id ? renderOne(out.result) : renderTop(out.result));
    });
}

function renderTop(r: RiskResult): string {
  if (!r.identities.length) return `No identity has a risk factor${r.asOf ? ` (as of ${r.asOf.slice(0, 16)})` : ''}.\n`;
  const rows = r.identities.map((i, n) => [n + 1, i.score, i.kind, i.name, i.factors.slice(0, 4).map((f) => `${f.code}:${Math.round(f.weight)}`).join(' '), i.id]);
  return `Risk as of ${r.asOf?.slice(0, 16).replace('T', ' ') ?? '-'} UTC\n${table(rows, ['#', 'score', 'kind', 'name', 'top factors', 'id'])}\n`;
}

function renderOne(r: RiskResult): string {
  const i = r.identities[0];
  const lines = [`${i.name} (${i.id}) [${i.kind}]`, `Score ${i.score}/100 as of ${r.asOf?.slice(0, 16).replace('T', ' ') ?? '-'} UTC`, ''];
  if (!i.factors.length) lines.push('No risk factor.');
  for (const f of i.factors) {
    lines.push(`${f.code.padEnd(10)} ${String(Math.round(f.weight)).padStart(3)}  ${f.title}: ${f.detail}`);
    if (f.evidence.length) lines.push(`${' '.repeat(15)}evidence: ${f.evidence.slice(0, 5).join(', ')}${f.evidence.length > 5 ? ', ...' : ''}`);
  }
  lines.push('', 'score = 100 x (1 - product of (1 - weight/100)) over the factors (docs/engines.md)');
  return lines.join('\n') + '\n';
}

export function renderPosture(p: RiskPosture): string {
  const lines = [`Posture as of ${p.asOf?.slice(0, 16).replace('T', ' ') ?? '-'} UTC`];
  lines.push(`Identities: ${p.identities} (${p.machines} machine, ${p.humans} people; machine:human ${p.machineToHuman ?? '-'}:1)`);
  const cov = p.ownership.coverage === null ? '-' : `${(p.ownership.coverage * 100).toFixed(1)}%`;
  lines.push(`Ownership coverage: ${cov}; orphaned: ${p.orphanedCount}; long-lived secrets: ${p.longLived} identities; over-privileged: ${p.overprivileged}`);
  lines.push(`Scores: mean ${p.meanScore ?? '-'}; ${['critical', 'high', 'medium', 'low'].map((b) => `${p.bands[b] ?? 0} ${b}`).join(', ')}`);
  lines.push('', table(Object.entries(p.factors).sort((a, b) => b[1] - a[1]).map(([c, n]) => [c, n]), ['factor', 'identities']));
  if (p.trend.length > 1) lines.push('', table(p.trend.map((t) => [t.day, t.scored, t.meanScore, t.bands.critical ?? 0, t.bands.high ?? 0]), ['day', 'scored', 'mean', 'critical', 'high']));
  return lines.join('\n') + '\n';
}
