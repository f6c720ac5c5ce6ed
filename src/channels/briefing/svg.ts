/**
 * Charts as inline SVG, drawn here: no script, no CDN, no web font, and no `style` attributes (a strict
 * CSP would block them), only presentation attributes. Every chart has a <title> for screen readers and
 * prints as crisply as text.
 */
export function esc(text: unknown): string {
  return String(text ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';
export const PALETTE = { ink: '#1f2933', muted: '#616e7c', grid: '#d9e2ec', bar: '#2f6fde', accent: '#c2410c', critical: '#b91c1c', high: '#ea580c', medium: '#ca8a04', low: '#64748b' };

function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(1);
}

export interface Bar {
  label: string;
  /** A second, muted label after the first (an OWASP title after its code). */
  note?: string;
  value: number;
  color?: string;
}

/** Horizontal bars, labels on the left, values at the bar's end; scales to the largest value. */
export function barChart(bars: Bar[], o: { title: string; width?: number; labelWidth?: number; rowHeight?: number; color?: string; unit?: string }): string {
  const width = o.width ?? 640;
  const labelWidth = o.labelWidth ?? 220;
  const row = o.rowHeight ?? 24;
  const top = 8;
  const height = top + bars.length * row + 8;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const span = width - labelWidth - 70;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(o.title)}" font-family="${FONT}" font-size="12">`);
  parts.push(`<title>${esc(o.title)}</title>`);
  bars.forEach((b, i) => {
    const y = top + i * row;
    const w = b.value > 0 ? Math.max(2, Math.round((b.value / max) * span)) : 0;
    parts.push(`<text x="${labelWidth - 8}" y="${y + row / 2 + 4}" text-anchor="end" fill="${PALETTE.ink}">${esc(b.label)}${b.note ? `<tspan fill="${PALETTE.muted}"> ${esc(b.note)}</tspan>` : ''}</text>`);
    parts.push(`<rect x="${labelWidth}" y="${y + 4}" width="${span}" height="${row - 8}" fill="#f0f4f8"/>`);
    if (w) parts.push(`<rect x="${labelWidth}" y="${y + 4}" width="${w}" height="${row - 8}" fill="${b.color ?? o.color ?? PALETTE.bar}"><title>${esc(`${b.label}${b.note ? ` ${b.note}` : ''}: ${fmt(b.value)}${o.unit ? ` ${o.unit}` : ''}`)}</title></rect>`);
    parts.push(`<text x="${labelWidth + w + 6}" y="${y + row / 2 + 4}" fill="${PALETTE.ink}" font-weight="600">${fmt(b.value)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface Series {
  name: string;
  color: string;
  values: (number | null)[];
  /** Values on the right-hand axis (a score out of 100 beside counts). */
  right?: boolean;
}

/** Lines over days; a single day is drawn as dots with a note that the trend grows with each scoring. */
export function lineChart(days: string[], series: Series[], o: { title: string; width?: number; height?: number; rightMax?: number }): string {
  const width = o.width ?? 640;
  const height = o.height ?? 220;
  const pad = { l: 44, r: 44, t: 14, b: 40 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const leftVals = series.filter((s) => !s.right).flatMap((s) => s.values.filter((v): v is number => v !== null));
  const leftMax = niceMax(Math.max(1, ...leftVals));
  const rightMax = o.rightMax ?? niceMax(Math.max(1, ...series.filter((s) => s.right).flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const x = (i: number) => pad.l + (days.length <= 1 ? w / 2 : (i / (days.length - 1)) * w);
  const y = (v: number, right?: boolean) => pad.t + h - (v / (right ? rightMax : leftMax)) * h;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(o.title)}" font-family="${FONT}" font-size="11">`);
  parts.push(`<title>${esc(o.title)}</title>`);
  for (let k = 0; k <= 4; k++) {
    const gy = pad.t + (h * k) / 4;
    parts.push(`<line x1="${pad.l}" y1="${gy}" x2="${pad.l + w}" y2="${gy}" stroke="${PALETTE.grid}" stroke-width="1"/>`);
    parts.push(`<text x="${pad.l - 6}" y="${gy + 4}" text-anchor="end" fill="${PALETTE.muted}">${fmt(Math.round(leftMax * (1 - k / 4)))}</text>`);
    if (series.some((s) => s.right)) parts.push(`<text x="${pad.l + w + 6}" y="${gy + 4}" fill="${PALETTE.muted}">${fmt(Math.round(rightMax * (1 - k / 4)))}</text>`);
  }
  const step = Math.max(1, Math.ceil(days.length / 8));
  days.forEach((d, i) => {
    if (i % step === 0 || i === days.length - 1) parts.push(`<text x="${x(i)}" y="${pad.t + h + 16}" text-anchor="middle" fill="${PALETTE.muted}">${esc(d.slice(5))}</text>`);
  });
  for (const s of series) {
    const pts = s.values.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v, s.right).toFixed(1)}`));
    const runs: string[][] = [[]];
    for (const p of pts) {
      if (p === null) runs.push([]);
      else runs[runs.length - 1].push(p);
    }
    for (const r of runs) if (r.length > 1) parts.push(`<polyline points="${r.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    s.values.forEach((v, i) => {
      if (v !== null) parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v, s.right).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(`${days[i]} ${s.name}: ${fmt(v)}`)}</title></circle>`);
    });
  }
  let lx = pad.l;
  for (const s of series) {
    parts.push(`<rect x="${lx}" y="${height - 14}" width="10" height="10" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 14}" y="${height - 5}" fill="${PALETTE.ink}">${esc(s.name)}${s.right ? ' (right axis)' : ''}</text>`);
    lx += 28 + (s.name.length + (s.right ? 13 : 0)) * 6.2;
  }
  if (days.length <= 1) parts.push(`<text x="${pad.l + w / 2}" y="${pad.t + 14}" text-anchor="middle" fill="${PALETTE.muted}">One snapshot so far: the trend grows with each daily scoring.</text>`);
  parts.push('</svg>');
  return parts.join('');
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export interface Segment {
  label: string;
  value: number;
  color: string;
}

/** One stacked bar with a legend: shares of a whole (identities by kind, agents by autonomy). */
export function stackedBar(segments: Segment[], o: { title: string; width?: number }): string {
  const width = o.width ?? 640;
  const total = segments.reduce((s, x) => s + x.value, 0);
  const rows = Math.ceil(segments.length / 3);
  const height = 34 + rows * 18;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(o.title)}" font-family="${FONT}" font-size="11">`);
  parts.push(`<title>${esc(o.title)}</title>`);
  let x = 0;
  for (const s of segments) {
    const w = total ? (s.value / total) * width : 0;
    if (w > 0) parts.push(`<rect x="${x.toFixed(1)}" y="0" width="${Math.max(0.5, w).toFixed(1)}" height="20" fill="${s.color}"><title>${esc(`${s.label}: ${fmt(s.value)}`)}</title></rect>`);
    x += w;
  }
  segments.forEach((s, i) => {
    const cx = (i % 3) * (width / 3);
    const cy = 32 + Math.floor(i / 3) * 18;
    parts.push(`<rect x="${cx}" y="${cy - 9}" width="10" height="10" fill="${s.color}"/>`);
    parts.push(`<text x="${cx + 14}" y="${cy}" fill="${PALETTE.ink}">${esc(s.label)} <tspan font-weight="600">${fmt(s.value)}</tspan>${total ? `<tspan fill="${PALETTE.muted}"> (${Math.round((s.value / total) * 100)}%)</tspan>` : ''}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export const KIND_COLORS = ['#2f6fde', '#0f766e', '#9333ea', '#c2410c', '#ca8a04', '#0891b2', '#be185d', '#4d7c0f', '#64748b', '#7c2d12'];
