import { redactText } from '../../lib/secrets.js';
import type { CisoBriefing } from '../../model/index.js';

/**
 * The briefing as Markdown: for `brief --format md`, for briefing://latest (an MCP client shows it or
 * hands it to a model), and for pasting into a board pack. Tables keep to GitHub-flavoured Markdown.
 */
const cell = (v: unknown) => redactText(String(v ?? '-')).replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim().slice(0, 160) || '-';
const code = (v: string) => '`' + redactText(v).replace(/`/g, "'") + '`';
const n = (v: number) => v.toLocaleString('en-US');
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

export function periodText(b: CisoBriefing): string {
  return `the last ${b.period.days} days (${b.period.from.slice(0, 10)} to ${b.period.to.slice(0, 10)})`;
}

export function renderMarkdown(b: CisoBriefing): string {
  const out: string[] = [];
  const p = b.posture;
  out.push(`# ${cell(b.title)}`, '');
  out.push(`Data as of ${b.asOf ?? 'no data yet'}; incidents of ${periodText(b)}. Generated ${b.generatedAt.slice(0, 16)}Z by identity-copilot.`, '');

  out.push('## Three decisions', '');
  if (!b.decisions.length) out.push('_Nothing needs a decision: no open high or critical incidents and no posture problem above threshold._');
  b.decisions.forEach((d, i) => {
    out.push(`${i + 1}. **${cell(d.title)}**: ${cell(d.why)}  `);
    out.push(`   **Decision asked:** ${cell(d.ask)}${d.owner ? ` **Owner:** ${cell(d.owner)}.` : ''} _(${d.kind === 'incident' ? code(d.ref) : d.ref})_`);
  });
  out.push('');

  out.push('## Posture', '');
  out.push('| figure | value |', '|---|---|');
  out.push(`| Identities | ${n(p.identities)} |`);
  out.push(`| Machine identities : people | ${n(p.machines)} : ${n(p.humans)} (${p.machineToHuman ?? '-'} per person) |`);
  out.push(`| Ownership coverage | ${pct(p.ownership.coverage)} (${n(p.ownership.owned)} of ${n(p.ownership.ownable)} machine identities have an active owner) |`);
  out.push(`| Orphaned (no owner, or the owner left) | ${n(p.orphaned)} |`);
  out.push(`| Long-lived secrets | ${n(p.longLived)} |`);
  out.push(`| Over-privileged | ${n(p.overprivileged)} |`);
  out.push(`| Human use of machine identities | ${n(p.humanUseOfNhi)} |`);
  const agents = Object.entries(p.agentsByAutonomy).sort((a, c) => c[1] - a[1]);
  out.push(`| AI agents by autonomy | ${agents.length ? agents.map(([k, v]) => `${n(v)} ${cell(k)}`).join(', ') : 'none'} |`);
  if (p.meanScore !== null) out.push(`| Mean risk score of scored identities | ${p.meanScore} (${['critical', 'high', 'medium', 'low'].filter((k) => p.bands[k] !== undefined).map((k) => `${n(p.bands[k])} ${k}`).join(', ')}) |`);
  out.push('');
  out.push('Identities by kind: ' + Object.entries(p.byKind).sort((a, c) => c[1] - a[1]).map(([k, v]) => `${cell(k)} ${n(v)}`).join(', ') + '.', '');

  out.push('## OWASP Non-Human Identities Top 10 (2025)', '');
  const max = Math.max(1, ...b.owasp.map((o) => o.identities));
  out.push('| risk | identities | |', '|---|---:|---|');
  for (const o of b.owasp) out.push(`| ${o.code} ${cell(o.title)} | ${n(o.identities)} | ${'█'.repeat(Math.round((o.identities / max) * 20))} |`);
  out.push('');

  out.push('## Risk over time', '');
  if (!b.trend.length) out.push('_No posture snapshot in the period: each scoring (after ingest, or `idcopilot detect`) adds one per data day._');
  else {
    out.push('| day | scored identities | mean score | critical | high |', '|---|---:|---:|---:|---:|');
    for (const t of b.trend) out.push(`| ${t.day} | ${n(t.scored)} | ${t.meanScore} | ${n(t.critical)} | ${n(t.high)} |`);
  }
  out.push('');

  out.push('## Top 10 risks', '');
  if (!b.topRisks.length) out.push('_No scored identities._');
  else {
    out.push('| # | identity | kind | score | owner | main factors | action |', '|---:|---|---|---:|---|---|---|');
    b.topRisks.forEach((r, i) => out.push(`| ${i + 1} | ${cell(r.name)} ${code(r.id)} | ${cell(r.kind)} | ${r.score} | ${r.owner ? `${cell(r.owner.name)}${r.owner.status !== 'active' ? ` (${cell(r.owner.status)})` : ''}` : '**none**'} | ${cell(r.factors.map((f) => f.code).join(', '))} | ${cell(r.action)} |`));
  }
  out.push('');

  out.push(`## Incidents in the period`, '');
  const t = b.incidentTotals;
  out.push(`${n(t.total)} incident(s): ${Object.entries(t.bySeverity).map(([k, v]) => `${n(v)} ${k}`).join(', ') || 'none'}; ${Object.entries(t.byStatus).map(([k, v]) => `${n(v)} ${k.replace('_', ' ')}`).join(', ') || '-'}.`, '');
  if (b.incidents.length) {
    out.push('| rank | severity | status | incident | owner | do now |', '|---:|---|---|---|---|---|');
    for (const i of b.incidents.slice(0, 25)) out.push(`| ${i.rank ?? '-'} | ${i.severity} | ${i.status.replace('_', ' ')} | ${cell(i.title)} ${code(i.id)} | ${cell(i.owner ?? 'none')} | ${cell(i.doNow ?? '-')} |`);
    if (b.incidents.length > 25) out.push('', `_and ${b.incidents.length - 25} more (idcopilot triage)._`);
  }
  if (b.notices.length) out.push('', ...b.notices.map((x) => `> ${cell(x)}`));
  return out.join('\n') + '\n';
}
