import { Command, Option } from 'commander';
import { investigateIdentity, investigateIncident } from '../../agent/investigator.js';
import type { IdentityExplain, IncidentExplain } from '../../model/index.js';
import { config, globals, printJson, withGlobals, withStore } from '../context.js';
import { renderIncident } from './triage.js';

export function explainCommand(): Command {
  return withGlobals(new Command('explain'))
    .description('one incident (inc-...) or one identity explained: the story, the chain, the evidence, the actions with their commands and dependents')
    .argument('<id>', 'an incident id from triage (inc-0123456789) or an identity id')
    .addOption(new Option('--narrator <kind>', 'who writes the prose of an incident').choices(['deterministic', 'llm', 'auto']).default('deterministic'))
    .option('--json', 'print the explanation as JSON (IncidentExplain or IdentityExplain)')
    .action(async (id: string, opts, cmd: Command) => {
      const g = globals(cmd);
      const cfg = config(cmd);
      const result = await withStore<IncidentExplain | IdentityExplain>(cmd, (db) => (/^inc-[0-9a-f]{10}$/.test(id)
        ? investigateIncident({ db, config: cfg, narrator: opts.narrator }, id)
        : investigateIdentity({ db, config: cfg }, id)));
      if (g.json) return printJson(result);
      process.stdout.write(result.kind === 'incident' ? renderIncidentExplain(result) : renderIdentityExplain(result));
    });
}

function renderIncidentExplain(e: IncidentExplain): string {
  const i = e.incident;
  const out = renderIncident(i, { full: true });
  out.push('', 'Chain (root first):');
  for (const l of i.chain) out.push(`  ${l.edge ? `-[${l.edge}]-> ` : ''}${i.entities[l.identity]?.name ?? l.identity} (${l.identity})`);
  if (i.ownerDetail) out.push('', `Accountable owner: ${i.ownerDetail.name}${i.ownerDetail.email ? ` <${i.ownerDetail.email}>` : ''}, ${i.ownerDetail.status}${i.ownerDetail.team ? `, team ${i.ownerDetail.team}` : ''} (from ${i.ownerDetail.source}, for ${i.ownerDetail.of})`);
  if (i.impact) out.push('', `Business impact: ${i.impact.summary}`);
  out.push('', 'Why it ranks here:');
  for (const f of i.priorityFactors) out.push(`  ${f.name.padEnd(14)} ${String(f.value).padStart(5)}  ${f.detail}`);
  out.push('', `Alerts (${i.alerts.length}):`);
  for (const s of i.signals.slice(0, 20)) out.push(`  ${s.time.slice(0, 16)}Z ${s.severity.padEnd(8)} ${s.title} [${s.id}]`);
  out.push('', `Events: ${i.events.length} (e.g. ${i.events.slice(0, 3).join(', ')}); first ${i.firstSeen}, last ${i.lastSeen}`);
  if (e.similar.length) out.push('', 'Similar incidents:', ...e.similar.map((s) => `  ${s.id} (${s.status}, ${s.score}) ${s.title}`));
  if (e.history.length) out.push('', 'History:', ...e.history.map((h) => `  ${h.at.slice(0, 19)}Z ${h.action} by ${h.actor}${h.reason ? `: ${h.reason}` : ''}`));
  out.push('', 'Mermaid:', e.mermaid);
  return out.join('\n') + '\n';
}

function renderIdentityExplain(e: IdentityExplain): string {
  const out = [`${e.identity.name} (${e.identity.id})`, e.whatIsIt];
  if (e.risk.length) out.push('', 'Risk factors:', ...e.risk.map((r) => `  ${r.code.padEnd(8)} ${String(r.weight).padStart(4)}  ${r.title}`));
  if (e.incidents.length) out.push('', 'Incidents:', ...e.incidents.map((x) => `  ${x.id} ${x.severity} ${x.status} ${x.title}`));
  if (e.recentAlerts.length) out.push('', 'Recent alerts:', ...e.recentAlerts.slice(0, 10).map((a) => `  ${a.time.slice(0, 16)}Z ${a.severity.padEnd(8)} ${a.title} [${a.id}]`));
  if (e.similar.length) out.push('', 'Similar identities:', ...e.similar.map((s) => `  ${s.id} (${s.score})`));
  return out.join('\n') + '\n';
}
