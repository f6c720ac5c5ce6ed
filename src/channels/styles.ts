import { createHash } from 'node:crypto';

/**
 * One stylesheet for the briefing and the web view, inlined in each page: pages work offline and from
 * a file, with system fonts only. The web view's CSP allows exactly this <style> by its hash, so that no
 * other inline style or script can run. Print rules fit A4 and Letter alike (content narrower than
 * both, the printer's page size).
 */
export const CSS = `
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --soft: #f5f7fa; --accent: #2f6fde;
  --critical: #b91c1c; --high: #ea580c; --medium: #ca8a04; --low: #64748b; --info: #94a3b8; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p { margin: 6px 0; }
a { color: var(--accent); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
code { background: var(--soft); padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: #0f172a; color: #e2e8f0; padding: 10px 12px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: 6px 0; }
.meta { color: var(--muted); font-size: 13px; }
.note { color: var(--muted); font-size: 12px; font-style: italic; }
table { width: 100%; border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { overflow-wrap: normal; white-space: nowrap; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted); background: var(--soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td .id { display: block; color: var(--muted); font-size: 11px; overflow-wrap: anywhere; }
.sev { display: inline-block; white-space: nowrap; min-width: 64px; text-align: center; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; text-transform: uppercase; }
.sev.critical { background: var(--critical); } .sev.high { background: var(--high); } .sev.medium { background: var(--medium); }
.sev.low { background: var(--low); } .sev.info { background: var(--info); }
.status { font-size: 12px; color: var(--muted); }
.now { color: var(--critical); font-weight: 600; font-size: 12px; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 12px 0; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: #fff; }
.tile .v { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.tile .k { font-size: 12px; color: var(--muted); }
.tile.warn .v { color: var(--critical); }
.decisions { list-style: none; padding: 0; margin: 8px 0; counter-reset: d; }
.decisions li { counter-increment: d; position: relative; border: 1px solid var(--line); border-left: 5px solid var(--accent); border-radius: 6px; padding: 10px 12px 10px 44px; margin: 8px 0; }
.decisions li::before { content: counter(d); position: absolute; left: 12px; top: 9px; font-size: 20px; font-weight: 700; color: var(--accent); }
.decisions li.incident { border-left-color: var(--critical); }
.decisions li.incident::before { color: var(--critical); }
.decisions .t { font-weight: 700; }
.decisions .ask { margin-top: 4px; }
.chart { margin: 8px 0 16px; break-inside: avoid; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.notices { border: 1px solid #fde68a; background: #fffbeb; border-radius: 6px; padding: 8px 12px; font-size: 13px; }
nav.top { display: flex; gap: 18px; align-items: center; padding: 10px 28px; border-bottom: 1px solid var(--line); background: var(--soft); }
nav.top .brand { font-weight: 700; margin-right: auto; }
nav.top form { margin: 0; }
nav.top button, .btn { font: inherit; border: 1px solid var(--line); background: #fff; border-radius: 6px; padding: 4px 10px; cursor: pointer; }
.btn.primary { background: var(--accent); color: #fff; border-color: var(--accent); padding: 8px 16px; }
.login { max-width: 420px; margin: 60px auto; border: 1px solid var(--line); border-radius: 10px; padding: 24px; }
.login input[type=password] { width: 100%; font: inherit; padding: 8px; border: 1px solid var(--line); border-radius: 6px; margin: 8px 0 14px; }
.error { color: var(--critical); font-weight: 600; }
.facts { display: grid; grid-template-columns: 160px 1fr; gap: 4px 12px; margin: 8px 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; overflow-wrap: anywhere; }
.diagram { border: 1px solid var(--line); border-radius: 8px; padding: 8px; margin: 8px 0; background: #fff; overflow-x: auto; }
.action { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; margin: 8px 0; break-inside: avoid; }
.action .u { font-size: 11px; font-weight: 700; text-transform: uppercase; padding: 1px 6px; border-radius: 4px; background: var(--soft); }
.action .u.now { background: #fee2e2; color: var(--critical); }
ul.plain { margin: 4px 0; padding-left: 18px; }
@media (max-width: 720px) { .tiles { grid-template-columns: repeat(2, 1fr); } .grid2 { grid-template-columns: 1fr; } main { padding: 14px; } nav.top { padding: 10px 14px; } }
@page { margin: 12mm; }
@media print {
  body { font-size: 11px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { max-width: none; padding: 0; }
  nav.top, .noprint { display: none; }
  .page { break-after: page; }
  h2 { break-after: avoid; }
  tr, .tile, .decisions li, .chart { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  pre { background: #f1f5f9; color: #0f172a; }
}
`;

/** The CSP source that admits exactly CSS (and nothing else inline). */
export const CSS_HASH = `'sha256-${createHash('sha256').update(CSS, 'utf8').digest('base64')}'`;
