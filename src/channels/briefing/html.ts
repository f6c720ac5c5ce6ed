import { redactText } from '../../lib/secrets.js';
import type { CisoBriefing } from '../../model/index.js';
import { CSS } from '../styles.js';
import { periodText } from './markdown.js';
import { barChart, esc, KIND_COLORS, lineChart, PALETTE, stackedBar } from './svg.js';

/**
 * The briefing as one self-contained HTML page: the first printed page is the executive summary (the
 * three decisions and the key figures), then the charts, then the tables. Inline SVG and inline CSS
 * only, so it opens offline, from a mail attachment, and prints to A4 or Letter.
 */
export interface HtmlOptions {
  /** Markup put above the briefing (the web view's navigation). Already escaped by its maker. */
  header?: string;
  /** Turns incident ids into links (the web view). */
  incidentHref?: (id: string) => string | null;
}

const t = (v: unknown) => esc(redactText(String(v ?? '')));
const n = (v: number) => v.toLocaleString('en-US');
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

export function renderHtml(b: CisoBriefing, o: HtmlOptions = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="identity-copilot"><title>${t(b.title)}${b.asOf ? ` (${t(b.asOf.slice(0, 10))})` : ''}</title>
<style>${CSS}</style></head>
<body>${o.header ?? ''}<main class="briefing">
${summaryPage(b)}
${chartsPage(b)}
${tablesPart(b, o)}
</main></body></html>
`;
}

function tile(value: string, label: string, warn = false): string {
  return `<div class="tile${warn ? ' warn' : ''}"><div class="v">${value}</div><div class="k">${label}</div></div>`;
}

function summaryPage(b: CisoBriefing): string {
  const p = b.posture;
  const open = (b.incidentTotals.byStatus.open ?? 0) + (b.incidentTotals.byStatus.acknowledged ?? 0);
  const critical = b.incidents.filter((i) => i.severity === 'critical' && i.status === 'open').length;
  const agents = Object.values(p.agentsByAutonomy).reduce((s, v) => s + v, 0);
  const decisions = b.decisions.length
    ? `<ol class="decisions">${b.decisions.map((d) => `<li class="${d.kind}"><div class="t">${t(d.title)}</div><div>${t(d.why)}</div>` +
      `<div class="ask"><strong>Decision asked:</strong> ${t(d.ask)}${d.owner ? ` <strong>Owner:</strong> ${t(d.owner)}.` : ''}</div></li>`).join('')}</ol>`
    : '<p>Nothing needs a decision: no open high or critical incident and no posture problem above threshold.</p>';
  return `<section class="page summary">
<h1>${t(b.title)}</h1>
<p class="meta">Data as of <strong>${t(b.asOf ?? 'no data yet')}</strong> · incidents of ${t(periodText(b))} · generated ${t(b.generatedAt.slice(0, 16))}Z by identity-copilot</p>
<h2>Three things that need a decision</h2>
${decisions}
<h2>Posture at a glance</h2>
<div class="tiles">
${tile(n(p.identities), 'identities')}
${tile(`${p.machineToHuman ?? '-'}:1`, `machine identities per person (${n(p.machines)} : ${n(p.humans)})`)}
${tile(pct(p.ownership.coverage), `ownership coverage (${n(p.ownership.owned)} of ${n(p.ownership.ownable)})`, (p.ownership.coverage ?? 1) < 0.8)}
${tile(n(p.orphaned), 'orphaned machine identities', p.orphaned > 0)}
${tile(n(p.longLived), 'long-lived secrets', p.longLived > 0)}
${tile(n(p.overprivileged), 'over-privileged', p.overprivileged > 0)}
${tile(n(p.humanUseOfNhi), 'human use of machine identities', p.humanUseOfNhi > 0)}
${tile(n(agents), `AI agents${p.agentsByAutonomy.full ? ` (${n(p.agentsByAutonomy.full)} fully autonomous)` : ''}`)}
</div>
<p><strong>${n(b.incidentTotals.total)}</strong> incident(s) in the period, <strong>${n(open)}</strong> still open${critical ? `, <strong>${n(critical)}</strong> critical` : ''}.
${p.meanScore !== null ? `Mean risk score of scored identities: <strong>${p.meanScore}</strong>/100.` : ''}</p>
${b.notices.length ? `<div class="notices">${b.notices.map((x) => `<p>${t(x)}</p>`).join('')}</div>` : ''}
</section>`;
}

function chartsPage(b: CisoBriefing): string {
  const p = b.posture;
  const kinds = Object.entries(p.byKind).sort((a, c) => c[1] - a[1]);
  const autonomyOrder = ['none', 'assisted', 'partial', 'full', 'unknown'];
  const agents = Object.entries(p.agentsByAutonomy).sort((a, c) => autonomyOrder.indexOf(a[0]) - autonomyOrder.indexOf(c[0]));
  const owasp = barChart(b.owasp.map((o) => ({ label: o.code, note: o.title, value: o.identities })), {
    title: 'OWASP Non-Human Identities Top 10: identities affected per risk', labelWidth: 300, color: PALETTE.bar, unit: 'identities',
  });
  const days = b.trend.map((x) => x.day);
  const trend = lineChart(days, [
    { name: 'critical', color: PALETTE.critical, values: b.trend.map((x) => x.critical) },
    { name: 'high', color: PALETTE.high, values: b.trend.map((x) => x.high) },
    { name: 'mean score', color: PALETTE.bar, values: b.trend.map((x) => x.meanScore), right: true },
  ], { title: 'Risk over time: identities in the critical and high bands, and the mean score', rightMax: 100 });
  return `<section class="page charts">
<h2>OWASP Non-Human Identities Top 10 (2025)</h2>
<div class="chart">${owasp}</div>
<h2>Risk over time</h2>
<div class="chart">${b.trend.length ? trend : '<p class="note">No posture snapshot in the period yet: each scoring (after an ingest, or <code>idcopilot detect</code>) adds one per data day.</p>'}</div>
<div class="grid2">
<div><h3>Identities by kind</h3><div class="chart">${stackedBar(kinds.map(([k, v], i) => ({ label: k.replace('_', ' '), value: v, color: KIND_COLORS[i % KIND_COLORS.length] })), { title: 'Identities by kind', width: 460 })}</div></div>
<div><h3>AI agents by autonomy</h3><div class="chart">${agents.length ? stackedBar(agents.map(([k, v]) => ({ label: k, value: v, color: k === 'full' ? PALETTE.critical : k === 'partial' ? PALETTE.high : k === 'assisted' ? PALETTE.medium : PALETTE.low })), { title: 'AI agents by autonomy', width: 460 }) : '<p class="note">No AI agents in the inventory.</p>'}</div></div>
</div>
</section>`;
}

function tablesPart(b: CisoBriefing, o: HtmlOptions): string {
  const risks = b.topRisks.length
    ? `<table><thead><tr><th class="num">#</th><th>identity</th><th>kind</th><th class="num">score</th><th>owner</th><th>main factors</th><th>action</th></tr></thead><tbody>
${b.topRisks.map((r, i) => `<tr><td class="num">${i + 1}</td><td>${t(r.name)}<span class="id">${t(r.id)}</span></td><td>${t(r.kind.replace('_', ' '))}</td><td class="num">${r.score}</td>` +
  `<td>${r.owner ? `${t(r.owner.name)}${r.owner.status !== 'active' ? ` <span class="status">(${t(r.owner.status)})</span>` : ''}` : '<strong>none</strong>'}</td>` +
  `<td>${r.factors.map((f) => `<span title="${t(f.title)}">${t(f.code)}</span>`).join(', ')}</td><td>${t(r.action)}</td></tr>`).join('\n')}
</tbody></table>`
    : '<p class="note">No scored identities.</p>';
  const tot = b.incidentTotals;
  const incidents = b.incidents.length
    ? `<table><thead><tr><th class="num">rank</th><th>severity</th><th>incident</th><th>owner</th><th>do now</th><th>last seen</th></tr></thead><tbody>
${b.incidents.slice(0, 30).map((i) => {
  const href = o.incidentHref?.(i.id) ?? null;
  const title = href ? `<a href="${esc(href)}">${t(i.title)}</a>` : t(i.title);
  return `<tr><td class="num">${i.rank ?? '-'}</td><td><span class="sev ${i.severity}">${i.severity}</span><span class="id">${t(i.status.replace('_', ' '))}</span></td>` +
    `<td>${title}<span class="id">${t(i.id)}</span></td><td>${t(i.owner ?? 'none')}</td><td>${t(i.doNow ?? '-')}</td><td>${t(i.lastSeen?.slice(0, 16).replace('T', ' ') ?? '-')}</td></tr>`;
}).join('\n')}
</tbody></table>${b.incidents.length > 30 ? `<p class="note">and ${b.incidents.length - 30} more (idcopilot triage).</p>` : ''}`
    : '<p class="note">No incidents in the period.</p>';
  return `<section class="tables">
<h2>Top 10 risks</h2>
${risks}
<h2>Incidents in the period</h2>
<p>${n(tot.total)} incident(s): ${Object.entries(tot.bySeverity).map(([k, v]) => `${n(v)} ${t(k)}`).join(', ') || 'none'}; ${Object.entries(tot.byStatus).map(([k, v]) => `${n(v)} ${t(k.replace('_', ' '))}`).join(', ') || '-'}.</p>
${incidents}
<p class="note">identity-copilot is read-only towards the systems it watches: every action here is a proposal for a person to carry out.</p>
</section>`;
}
