import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { posture, type Posture } from '../../engines/inventory.js';
import { runTriage } from '../../agent/triage.js';
import type { TriageResult } from '../../model/index.js';
import { deriveAfterIngest } from '../../engines/derive.js';
import { ingestPaths } from '../../ingest/pipeline.js';
import { config, globals, printJson, table, withGlobals, withStore } from '../context.js';
import { renderTriage } from './triage.js';
import { writeDemoOutputs } from '../../channels/demo-outputs.js';

export function demoCommand(): Command {
  return withGlobals(new Command('demo'))
    .description('generate the demo company (about 200 employees and their machine identities), load it into an in-memory store, and show what it holds')
    .option('--keep <dir>', 'keep the generated source files in this folder (default: a temporary folder, removed)')
    .option('--top <n>', 'incidents shown at the end (1-20)', (v) => Number(v), 5)
    .option('--out <dir>', 'where to write briefing.html (the CISO briefing) and slack.json (the on-call messages)', 'out')
    .option('--json', 'print the figures and the ranked incidents as JSON')
    .action(async (opts, cmd: Command) => {
      const json = Boolean(globals(cmd).json);
      const say = (s: string) => !json && process.stdout.write(s);
      const { generateEstate, DEMO } = await import('../../generator/index.js');
      const dir = opts.keep ?? mkdtempSync(join(tmpdir(), 'idcopilot-demo-'));
      try {
        const t0 = performance.now();
        say(`Generating the demo estate (${DEMO.employees} employees, seed ${DEMO.seed}) in ${dir} ...\n`);
        await generateEstate({ ...DEMO, out: dir });
        const t1 = performance.now();
        say(`Loading it into an in-memory store ...\n`);
        const cfg = config(cmd);
        const top = Math.max(1, Math.min(20, Number.isInteger(opts.top) ? opts.top : 5));
        let t2 = 0;
        const report = await withStore(cmd, async (db) => {
          const ingest = await ingestPaths(db, [dir]);
          await deriveAfterIngest(db);
          const p = await posture(db, { orphanLimit: 15 });
          t2 = performance.now();
          // The demo company's planted incidents among its everyday noise: what triage makes of them.
          const triage: TriageResult = await runTriage(db, { config: { ...cfg, crownJewels: cfg.crownJewels.length ? cfg.crownJewels : DEMO_CROWN_JEWELS }, top });
          const outputs = await writeDemoOutputs(db, triage, opts.out);
          return { ingest: ingest.totals, posture: p, triage, outputs };
        }, { data: ':memory:' });
        const t3 = performance.now();
        if (json) {
          printJson({ ...report, timings: { generateMs: Math.round(t1 - t0), loadMs: Math.round(t2 - t1), triageMs: Math.round(t3 - t2) } });
          return;
        }
        const t = report.ingest;
        say(`Loaded ${t.loaded} records from ${t.files} files (${t.rejected} rejected) in ${((t2 - t1) / 1000).toFixed(1)} s.\n\n`);
        say(renderPosture(report.posture));
        say(`\nTriage (${((t3 - t2) / 1000).toFixed(1)} s): what is happening, and what needs action now\n\n`);
        say(renderTriage(report.triage));
        say(`\nNext: idcopilot explain <incident id> for the commands, dependents and evidence of one incident.\n`);
        say(`\nWrote ${report.outputs.briefing} (the CISO briefing: open it in a browser, or print it)\n`);
        say(`  and ${report.outputs.slack} (the ${report.outputs.messages} Slack message(s) the on-call engineer would get, as Block Kit JSON)\n`);
      } finally {
        if (!opts.keep) rmSync(dir, { recursive: true, force: true });
      }
    });
}

/** The demo company's customer data, for when no idcopilot.yaml names crown jewels. */
const DEMO_CROWN_JEWELS = [{ resource: 'arn:aws:s3:::*customer-data-prod*', name: 'customer personal data', why: 'customer personal data (GDPR)', classification: 'restricted' as const }];

export function renderPosture(p: Posture): string {
  const lines: string[] = [];
  lines.push('Inventory by kind');
  lines.push(table(Object.entries(p.byKind).sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, n]), ['kind', 'identities']));
  lines.push('');
  lines.push(`People: ${p.humans}   machine identities: ${p.machines}   machine:human ratio ${p.machineToHuman ?? '-'}:1`);
  const cov = p.ownership.coverage === null ? '-' : `${(p.ownership.coverage * 100).toFixed(1)}%`;
  lines.push(`Ownership coverage: ${cov} (${p.ownership.owned} of ${p.ownership.ownable} machine identities have an active accountable owner)`);
  lines.push(`Orphaned: ${p.orphanedCount} (no owner, or the owner has left)`);
  if (p.orphaned.length) {
    lines.push('');
    lines.push(table(p.orphaned.map((o) => [o.kind, o.name, o.reason, o.id]), ['kind', 'name', 'why orphaned', 'id']));
    if (p.orphanedCount > p.orphaned.length) lines.push(`... and ${p.orphanedCount - p.orphaned.length} more`);
  }
  return lines.join('\n') + '\n';
}
