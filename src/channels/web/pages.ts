import { redactText } from '../../lib/secrets.js';
import type { IncidentHistoryEntry, TriageIncident } from '../../model/index.js';
import type { StoredSummary } from '../../engines/correlate/stored.js';
import { esc } from '../briefing/svg.js';
import { CSS } from '../styles.js';
import { actionPhrase } from '../slack/blocks.js';
import { chainSvg } from './diagram.js';

/**
 * The web view's pages, rendered on the server: no script at all, one inline stylesheet admitted by its
 * hash. Everything from the data is escaped (and redacted) on the way in.
 */
const t = (v: unknown) => esc(redactText(String(v ?? '')));

export interface Viewer {
  /** Who is looking: a signed-in principal, or a signed link's holder. */
  name: string;
  /** Present for a session: the logout form posts it. */
  csrf: string | null;
  canBriefing: boolean;
  canIncidents: boolean;
}

export function page(title: string, body: string, viewer: Viewer | null): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${t(title)} · identity-copilot</title><style>${CSS}</style></head>
<body>${nav(viewer)}<main>${body}</main></body></html>
`;
}

export function nav(viewer: Viewer | null): string {
  if (!viewer) return `<nav class="top"><span class="brand">identity-copilot</span></nav>`;
  const links = [
    viewer.canIncidents ? '<a href="/">Incidents</a>' : '',
    viewer.canBriefing ? '<a href="/briefing">Briefing</a>' : '',
  ].join('');
  const who = viewer.csrf
    ? `<span class="meta">${t(viewer.name)}</span><form method="post" action="/logout"><input type="hidden" name="csrf" value="${esc(viewer.csrf)}"><button type="submit">Sign out</button></form>`
    : `<span class="meta">shared link</span><a href="/login">Sign in</a>`;
  return `<nav class="top"><span class="brand">identity-copilot</span>${links}${who}</nav>`;
}

export function loginPage(o: { csrf: string; next: string; error?: string | null; notice?: string | null }): string {
  return page('Sign in', `<div class="login">
<h1>Sign in</h1>
<p class="meta">Paste an identity-copilot token (<code>idcopilot token create --role oncall</code> or <code>--role ciso</code>). It is exchanged for a session cookie and is not kept.</p>
${o.notice ? `<p>${t(o.notice)}</p>` : ''}${o.error ? `<p class="error">${t(o.error)}</p>` : ''}
<form method="post" action="/login" autocomplete="off">
<input type="hidden" name="csrf" value="${esc(o.csrf)}"><input type="hidden" name="next" value="${esc(o.next)}">
<label for="token">Token</label><input id="token" name="token" type="password" required autofocus spellcheck="false">
<button class="btn primary" type="submit">Sign in</button>
</form></div>`, null);
}

export function messagePage(title: string, message: string, viewer: Viewer | null): string {
  return page(title, `<h1>${t(title)}</h1><p>${t(message)}</p>`, viewer);
}

export interface ListedIncident {
  stored: StoredSummary;
  href: string;
}

function sev(s: string): string {
  return `<span class="sev ${esc(s)}">${esc(s)}</span>`;
}

function when(iso: string | null): string {
  return iso ? t(iso.slice(0, 16).replace('T', ' ')) : '-';
}

export function incidentsPage(o: { open: ListedIncident[]; closed: ListedIncident[]; asOf: string | null; notices: string[]; viewer: Viewer }): string {
  const row = (x: ListedIncident, i: number) => {
    const s = x.stored;
    const a = s.assessment;
    const root = a?.entities[s.rootIdentity]?.name ?? s.rootIdentity;
    const owner = a?.ownerDetail?.name ?? a?.owner ?? null;
    return `<tr data-incident="${esc(s.id)}"><td class="num">${i + 1}</td><td>${sev(s.severity)}</td><td class="num">${Math.round(s.score)}</td>` +
      `<td><a href="${esc(x.href)}">${t(s.title)}</a><span class="id">${t(s.id)}${a?.happeningNow ? ' · <span class="now">happening now</span>' : ''}</span></td>` +
      `<td>${t(root)}<span class="id">${t(s.rootIdentity)}</span></td><td>${owner ? t(owner) : '<strong>none</strong>'}</td>` +
      `<td class="status">${t(s.status.replace('_', ' '))}</td><td>${when(s.lastSeen)}</td></tr>`;
  };
  const table = (rows: ListedIncident[], offset = 0) => `<table class="incidents"><thead><tr><th class="num">rank</th><th>severity</th><th class="num">score</th><th>incident</th><th>root identity</th><th>owner</th><th>status</th><th>last seen (UTC)</th></tr></thead>
<tbody>${rows.map((r, i) => row(r, i + offset)).join('\n')}</tbody></table>`;
  const body = `<h1>Incidents</h1>
<p class="meta">Ranked by triage (severity, confidence, blast radius, happening now, owner status). Data as of ${t(o.asOf ?? 'no data yet')}.</p>
${o.notices.length ? `<div class="notices">${o.notices.map((n) => `<p>${t(n)}</p>`).join('')}</div>` : ''}
${o.open.length ? table(o.open) : '<p>No open incidents.</p>'}
${o.closed.length ? `<h2>Recently closed</h2>${table(o.closed)}` : ''}`;
  return page('Incidents', body, o.viewer);
}

function factsList(pairs: [string, string][]): string {
  return `<dl class="facts">${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

export function incidentPage(o: { inc: TriageIncident; history: IncidentHistoryEntry[]; viewer: Viewer; backHref: string | null }): string {
  const inc = o.inc;
  const owner = inc.ownerDetail
    ? `${t(inc.ownerDetail.name)}${inc.ownerDetail.email ? ` &lt;${t(inc.ownerDetail.email)}&gt;` : ''} <span class="status">(${t(inc.ownerDetail.status)}${inc.ownerDetail.team ? `, ${t(inc.ownerDetail.team)}` : ''}; from ${t(inc.ownerDetail.source)})</span>`
    : inc.owner ? t(inc.owner) : '<strong>no accountable owner on record</strong>';
  const actions = inc.actions.length
    ? inc.actions.map((a, i) => `<div class="action"><span class="u ${a.urgency === 'now' ? 'now' : ''}">${esc(a.urgency.replace('_', ' '))}</span> <strong>${i + 1}. ${t(actionPhrase(inc, a))}</strong>
<p>${t(a.reason)}</p>${a.command ? `<pre>${t(a.command)}</pre>` : ''}${a.steps.length ? `<ol>${a.steps.map((s) => `<li>${t(s)}</li>`).join('')}</ol>` : ''}${a.dependents.length ? `<p class="meta">Depends on it: ${a.dependents.slice(0, 8).map((d) => t(d)).join('; ')}${a.dependents.length > 8 ? ` and ${a.dependents.length - 8} more` : ''}</p>` : ''}</div>`).join('\n')
    : '<p>No action proposed: review the evidence.</p>';
  const signals = inc.signals.length
    ? `<table><thead><tr><th>time (UTC)</th><th>severity</th><th>alert</th><th>source</th></tr></thead><tbody>${inc.signals.slice(0, 30).map((s) => `<tr><td>${when(s.time)}</td><td>${sev(s.severity)}</td><td>${t(s.title)}<span class="id">${t(s.id)}</span></td><td>${t(s.source)}</td></tr>`).join('')}</tbody></table>`
    : '<p class="note">No alerts recorded.</p>';
  const factors = inc.priorityFactors.length
    ? `<table><thead><tr><th>factor</th><th class="num">value</th><th>why</th></tr></thead><tbody>${inc.priorityFactors.map((f) => `<tr><td>${t(f.name)}</td><td class="num">${t(f.value)}</td><td>${t(f.detail)}</td></tr>`).join('')}</tbody></table>`
    : '';
  const history = o.history.length
    ? `<ul class="plain">${o.history.slice(-20).map((h) => `<li>${when(h.at)} ${t(h.action)} by ${t(h.actor)}${h.reason ? `: ${t(h.reason)}` : ''}</li>`).join('')}</ul>`
    : '<p class="note">No analyst decision yet.</p>';
  const body = `${o.backHref ? `<p class="noprint"><a href="${esc(o.backHref)}">← All incidents</a></p>` : ''}
<h1>${t(inc.title)}</h1>
<p>${sev(inc.severity)} score <strong>${Math.round(inc.score)}</strong>/100 · rank #${inc.rank} · confidence ${Math.round(inc.confidence * 100)}% · ${t(inc.status.replace('_', ' '))}${inc.happeningNow ? ' · <span class="now">happening now</span>' : ''}</p>
${factsList([
    ['Incident', `<code>${t(inc.id)}</code>`],
    ['Owner', owner],
    ['Root identity', `${t(inc.entities[inc.rootIdentity]?.name ?? inc.rootIdentity)} <code>${t(inc.rootIdentity)}</code>`],
    ['First / last seen', `${when(inc.firstSeen)} / ${when(inc.lastSeen)} UTC`],
    ['Providers', t(inc.providers.join(', ') || '-')],
  ])}
<h2>What is happening</h2>
<p>${t(inc.whatIsHappening)}</p>
${inc.impact?.summary ? `<p><strong>Business impact:</strong> ${t(inc.impact.summary)}</p>` : ''}
<h2>Delegation chain</h2>
<div class="diagram">${chainSvg(inc, `chain-${inc.id}`)}</div>
<h2>Do now</h2>
<p>${t(inc.whatNeedsActionNow)}</p>
${actions}
<h2>Why it ranks here</h2>
${factors}
<h2>Alerts</h2>
${signals}
<h2>History</h2>
${history}
<p class="note">Evidence: ${inc.evidence.slice(0, 20).map((e) => `<code>${t(e)}</code>`).join(' ')}${inc.evidence.length > 20 ? ` and ${inc.evidence.length - 20} more` : ''}. The copilot proposes; it changes nothing in the systems it watches.</p>`;
  return page(inc.title, body, o.viewer);
}
