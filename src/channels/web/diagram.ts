import { redactText } from '../../lib/secrets.js';
import type { TriageIncident } from '../../model/index.js';
import { esc, PALETTE } from '../briefing/svg.js';

/**
 * An incident's delegation chain drawn server-side as SVG: the person behind the root (when known)
 * first, then each identity the chain passed through, each arrow labelled with the edge that led there.
 * Rows wrap after four boxes, so that a long chain stays readable on a phone.
 */
const BOX_W = 190;
const BOX_H = 58;
const GAP = 46;
const PER_ROW = 4;
const ROW_GAP = 40;

interface Node {
  id: string;
  name: string;
  sub: string;
  edge: string | null;
  person?: boolean;
  root?: boolean;
}

function short(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

export function chainNodes(inc: TriageIncident): Node[] {
  const e = (id: string) => inc.entities[id];
  const nodes: Node[] = [];
  const root = inc.chain[0]?.identity ?? inc.rootIdentity;
  if (inc.person && inc.person !== root && !inc.chain.some((l) => l.identity === inc.person)) {
    nodes.push({ id: inc.person, name: e(inc.person)?.name ?? inc.person, sub: ['person', e(inc.person)?.status].filter(Boolean).join(' · '), edge: null, person: true });
  }
  const links = inc.chain.length ? inc.chain : [{ identity: root, edge: null }];
  links.forEach((l, i) => {
    const x = e(l.identity);
    nodes.push({
      id: l.identity, name: x?.name ?? l.identity, sub: [x?.kind?.replace('_', ' '), x?.provider].filter(Boolean).join(' · ') || 'identity',
      edge: i === 0 ? (nodes.length ? 'behind' : null) : l.edge ?? 'then', root: i === 0,
    });
  });
  return nodes;
}

export function chainSvg(inc: TriageIncident, uid = 'chain'): string {
  const nodes = chainNodes(inc);
  const cols = Math.min(PER_ROW, nodes.length);
  const rows = Math.ceil(nodes.length / PER_ROW);
  const width = cols * BOX_W + (cols - 1) * GAP + 20;
  const height = rows * BOX_H + (rows - 1) * ROW_GAP + 20;
  const pos = (i: number) => ({ x: 10 + (i % PER_ROW) * (BOX_W + GAP), y: 10 + Math.floor(i / PER_ROW) * (BOX_H + ROW_GAP) });
  const marker = `${uid}-arrow`;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" role="img" aria-label="Delegation chain, root first" font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<title>Delegation chain: ${esc(redactText(nodes.map((n) => n.name).join(' → ')))}</title>`);
  out.push(`<defs><marker id="${marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${PALETTE.muted}"/></marker></defs>`);
  nodes.forEach((n, i) => {
    if (i === 0) return;
    const a = pos(i - 1);
    const b = pos(i);
    const label = esc(n.edge ?? '');
    if (a.y === b.y) {
      const x1 = a.x + BOX_W;
      const x2 = b.x;
      const y = a.y + BOX_H / 2;
      out.push(`<line x1="${x1}" y1="${y}" x2="${x2 - 2}" y2="${y}" stroke="${PALETTE.muted}" stroke-width="1.5"${n.edge === 'behind' ? ' stroke-dasharray="4 3"' : ''} marker-end="url(#${marker})"/>`);
      out.push(`<text x="${(x1 + x2) / 2}" y="${y - 6}" text-anchor="middle" fill="${PALETTE.muted}" font-size="10">${label}</text>`);
    } else {
      // Down from the end of one row and back to the start of the next.
      const x1 = a.x + BOX_W / 2;
      const y1 = a.y + BOX_H;
      const x2 = b.x + BOX_W / 2;
      const y2 = b.y;
      const mid = y1 + ROW_GAP / 2;
      out.push(`<polyline points="${x1},${y1} ${x1},${mid} ${x2},${mid} ${x2},${y2 - 2}" fill="none" stroke="${PALETTE.muted}" stroke-width="1.5" marker-end="url(#${marker})"/>`);
      out.push(`<text x="${(x1 + x2) / 2}" y="${mid - 4}" text-anchor="middle" fill="${PALETTE.muted}" font-size="10">${label}</text>`);
    }
  });
  nodes.forEach((n, i) => {
    const p = pos(i);
    const fill = n.person ? '#eef2ff' : n.root ? '#fff7ed' : '#ffffff';
    const stroke = n.person ? '#6366f1' : n.root ? PALETTE.accent : '#94a3b8';
    out.push(`<g><title>${esc(redactText(n.id))}</title>`);
    out.push(`<rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${BOX_H}" rx="8" fill="${fill}" stroke="${stroke}" stroke-width="${n.root ? 2 : 1.2}"/>`);
    out.push(`<text x="${p.x + 10}" y="${p.y + 22}" fill="${PALETTE.ink}" font-weight="600">${esc(short(redactText(n.name), 26))}</text>`);
    out.push(`<text x="${p.x + 10}" y="${p.y + 40}" fill="${PALETTE.muted}" font-size="11">${esc(short(`${n.root ? 'root · ' : ''}${n.sub}`, 30))}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}
