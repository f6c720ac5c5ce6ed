import { Command, Option } from 'commander';
import { runTriage } from '../../agent/triage.js';
import { loadSuppressions, sinceFrom } from '../../engines/correlate/index.js';
import type { TriageIncident, TriageResult } from '../../model/index.js';
import { config, globals, printJson, usage, withGlobals, withStore } from '../context.js';

export function triageCommand(): Command {
  return withGlobals(new Command('triage'))
    .description('what is happening, and what needs action now: alerts, logs and ownership correlated into ranked incidents with actions')
    .option('--since <duration|time>', 'only alerts from this far back from the latest event (24h, 7d) or since this time (ISO-8601)')
    .option('--top <n>', 'incidents shown with their full assessment (1-100)', (v) => Number(v), 10)
    .option('--as-of <time>', 'judge the store as of this time (default: its latest event)')
    .addOption(new Option('--narrator <kind>', 'who writes the prose: templates, or an LLM behind the grounding guard').choices(['deterministic', 'llm', 'auto']).default('deterministic'))
    .option('--suppressions <file>', 'suppression rules (default ./idcopilot.suppressions.yaml when present)')
    .option('--no-detect', 'do not run the detections on events they have not judged yet')
    .option('--json', 'print the triage contract: { asOf, incidents: [{ id, rank, severity, score, title, rootIdentity, chain, identities, alerts, events, owner, whatIsHappening, actions, evidence, ... }] }')
    .action(async (opts, cmd: Command) => {
      const g = globals(cmd);
      const cfg = config(cmd);
      if (!Number.isInteger(opts.top) || opts.top < 1 || opts.top > 100) usage('--top must be an integer from 1 to 100');
      const sup = loadSuppressions(opts.suppressions);
      const result = await withStore(cmd, async (db) => {
        const since = await sinceFrom(db, opts.since, opts.asOf);
        return runTriage(db, { config: cfg, top: opts.top, since, asOf: opts.asOf ?? null, narrator: opts.narrator, suppressions: sup.active, detect: opts.detect });
      });
      for (const r of sup.expired) result.notices.push(`suppression ${r.id} (${sup.path}) expired on ${r.expires}: its alerts count again`);
      if (g.json) return printJson(result);
      process.stdout.write(renderTriage(result));
    });
}

export function renderTriage(r: TriageResult): string {
  const out: string[] = [];
  const t = r.totals;
  out.push(`As of ${r.asOf} (the latest data)${r.since ? `, alerts since ${r.since}` : ''}: ${t.incidents} incident(s) from ${t.alerts} alert(s)` +
    `${t.suppressedAlerts ? `, ${t.suppressedAlerts} alert(s) suppressed` : ''}${t.closed ? `, ${t.closed} closed` : ''}; showing ${t.shown}.`);
  if (!r.incidents.length) {
    out.push('', 'Nothing to triage.');
    if (r.findings.length) {
      out.push('', 'Posture findings (from inventories; not incidents):');
      for (const f of r.findings.slice(0, 10)) out.push(`  ${f.severity.padEnd(8)} ${f.code.padEnd(6)} ${f.title}  ${f.identity}`);
    }
  }
  for (const inc of r.incidents) out.push('', ...renderIncident(inc, { commands: inc.rank <= 3 }));
  for (const n of r.notices) out.push(`note: ${n}`);
  return out.join('\n') + '\n';
}

export function renderIncident(inc: TriageIncident, opts: { commands?: boolean; full?: boolean } = {}): string[] {
  const out: string[] = [];
  const flag = inc.happeningNow ? '  HAPPENING NOW' : '';
  out.push(`#${inc.rank}  ${inc.severity.toUpperCase()}  ${inc.score}  ${inc.id}  [${inc.status}]${flag}`);
  out.push(`    ${inc.title}`);
  out.push(...wrap(`What is happening: ${inc.whatIsHappening}`, '    '));
  out.push(...wrap(`What needs action now: ${inc.whatNeedsActionNow}`, '    '));
  const shown = opts.full ? inc.actions : inc.actions.filter((a) => a.urgency === 'now').slice(0, 4);
  if (opts.commands || opts.full) {
    for (const [i, a] of shown.entries()) {
      out.push(`    ${i + 1}. [${a.urgency}] ${a.action} ${a.target}`);
      if (opts.full) out.push(...wrap(a.reason, '         '));
      if (a.command) out.push(`         $ ${a.command}`);
      if (opts.full) for (const s of a.steps) out.push(`         - ${s}`);
      if (opts.full && a.dependents.length) out.push(`         depends on it: ${a.dependents.slice(0, 5).join('; ')}`);
    }
  }
  if (inc.narrator.fallbackReason) out.push(`    (narration: deterministic; ${inc.narrator.fallbackReason})`);
  return out;
}

function wrap(text: string, indent: string, width = 110): string[] {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = indent;
  for (const w of words) {
    if (line.length + w.length + 1 > width && line.trim()) {
      lines.push(line.trimEnd());
      line = indent + '  ';
    }
    line += w + ' ';
  }
  if (line.trim()) lines.push(line.trimEnd());
  return lines;
}
