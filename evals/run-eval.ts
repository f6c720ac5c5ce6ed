import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { groundingRate } from '../src/agent/grounding.js';
import { runTriage } from '../src/agent/triage.js';
import { deriveAfterIngest } from '../src/engines/derive.js';
import { ingestPaths } from '../src/ingest/pipeline.js';
import { loadConfig } from '../src/lib/config.js';
import { Config, type TriageIncident, type TriageResult } from '../src/model/index.js';
import { openStore, type Db } from '../src/store/index.js';
import { aggregate, failures, score, Truth, type Metrics, type Scored, type TruthIncident } from './scorer.js';

/**
 * `npm run eval`: the copilot scored on ground truth. The gate is the hand-written scenarios in
 * evals/scenarios (vendor formats, each modelled on a public incident and mixed with benign noise):
 * each is ingested into a fresh embedded store, triaged exactly as the CLI does, and scored.
 * `--generated` adds a generated estate (src/generator, ground-truth.json), which tests scale more
 * than judgement, since the same hands wrote the generator and the detectors.
 *
 *   npm run eval                       # every scenario; exit 1 when a target is missed
 *   npm run eval -- --scenario NAME    # one scenario, with per-incident detail
 *   npm run eval -- --generated        # also the DEMO estate (a few minutes)
 *   npm run eval -- --json
 */
export const SCENARIOS_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));

export interface ScenarioRun {
  name: string;
  title: string;
  modelledOn: string;
  scored: Scored;
  result: TriageResult;
  ms: number;
}

export function scenarioNames(): string[] {
  return readdirSync(SCENARIOS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(SCENARIOS_DIR, d.name, 'truth.yaml'))).map((d) => d.name).sort();
}

export async function evalScenario(name: string, opts: { db?: Db } = {}): Promise<ScenarioRun> {
  const dir = join(SCENARIOS_DIR, name);
  const truth = Truth.parse(YAML.parse(readFileSync(join(dir, 'truth.yaml'), 'utf8')));
  const cfg = existsSync(join(dir, 'config.yaml')) ? loadConfig(join(dir, 'config.yaml')) : Config.parse({});
  const started = performance.now();
  const db = opts.db ?? (await openStore({ data: ':memory:' }));
  try {
    // Everything but the scenario's own truth and configuration is vendor data.
    const inputs = readdirSync(dir).filter((f) => f !== 'truth.yaml' && f !== 'config.yaml').map((f) => join(dir, f));
    const ingest = await ingestPaths(db, inputs, { now: new Date('2026-11-01T00:00:00Z') });
    const failed = ingest.files.filter((f) => f.error);
    if (failed.length) throw new Error(`${name}: ${failed.map((f) => f.error).join('; ')}`);
    if (ingest.totals.rejected) throw new Error(`${name}: ${ingest.totals.rejected} record(s) rejected, the scenario files need fixing`);
    await deriveAfterIngest(db);
    const benignEvents = ingest.files.filter((f) => /noise/i.test(f.path)).reduce((n, f) => n + (f.counts.event ?? 0), 0);
    const result = await runTriage(db, { config: cfg, top: 100, embed: false });
    const scored = score(truth.incidents as TruthIncident[], result.incidents, { benignEvents, ...(await grounding(db, result.incidents)) });
    return { name, title: truth.title ?? name, modelledOn: truth.modelledOn ?? '', scored, result, ms: Math.round(performance.now() - started) };
  } finally {
    if (!opts.db) await db.close();
  }
}

/** The generated estate: DEMO settings unless told otherwise, scored against its ground-truth.json. */
export async function evalGenerated(opts: { employees?: number; days?: number } = {}): Promise<ScenarioRun> {
  const { generateEstate, DEMO, GroundTruth } = await import('../src/generator/index.js');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const out = mkdtempSync(join(tmpdir(), 'idcopilot-eval-'));
  const started = performance.now();
  const db = await openStore({ data: ':memory:' });
  try {
    await generateEstate({ ...DEMO, employees: opts.employees ?? DEMO.employees, days: opts.days ?? DEMO.days, out });
    const truth = GroundTruth.parse(JSON.parse(readFileSync(join(out, 'ground-truth.json'), 'utf8')));
    const ingest = await ingestPaths(db, [out]);
    await deriveAfterIngest(db);
    const cfg = Config.parse({ crownJewels: [{ resource: 'arn:aws:s3:::*customer-data-prod*', name: 'customer personal data', classification: 'restricted' }] });
    const result = await runTriage(db, { config: cfg, top: 100, embed: false });
    // The planted incidents' events are a few dozen among tens of thousands: all count as benign here.
    const benignEvents = ingest.totals.counts.event ?? 0;
    const scored = score(truth.incidents as TruthIncident[], result.incidents, { benignEvents, ...(await grounding(db, result.incidents)) });
    return { name: 'generated-estate', title: `generated estate (${opts.employees ?? DEMO.employees} employees)`, modelledOn: 'src/generator planted incidents', scored, result, ms: Math.round(performance.now() - started) };
  } finally {
    await db.close();
    rmSync(out, { recursive: true, force: true });
  }
}

export async function runEval(opts: { scenarios?: string[]; generated?: boolean; employees?: number } = {}): Promise<{ metrics: Metrics; runs: ScenarioRun[]; generated: ScenarioRun | null; failures: string[] }> {
  const runs: ScenarioRun[] = [];
  for (const name of opts.scenarios ?? scenarioNames()) runs.push(await evalScenario(name));
  const metrics = aggregate(runs.map((r) => r.scored));
  const generated = opts.generated ? await evalGenerated({ employees: opts.employees }) : null;
  return { metrics, runs, generated, failures: failures(metrics) };
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

export function report(r: Awaited<ReturnType<typeof runEval>>, verbose = false): string {
  const out: string[] = [];
  out.push('scenario                               truth  root@1  chain  partial  actions  ndcg@5  false/1k  grounding   ms');
  for (const run of [...r.runs, ...(r.generated ? [r.generated] : [])]) {
    const m = aggregate([run.scored]);
    out.push(`${run.name.padEnd(38)} ${String(m.truthIncidents).padStart(5)}  ${pct(m.rootRecallAt1).padStart(6)}  ${pct(m.chainExact).padStart(5)}  ${pct(m.chainPartial).padStart(7)}  ${pct(m.actionRecall).padStart(7)}  ${m.ndcgAt5.toFixed(3).padStart(6)}  ${m.falseIncidentsPer1kBenign.toFixed(1).padStart(8)}  ${pct(m.grounding).padStart(9)}  ${String(run.ms).padStart(5)}`);
    if (verbose) {
      for (const x of run.scored.matches) out.push(`    ${x.truth}: incident ${x.incident ?? '-'} rank ${x.rank ?? '-'} root ${x.root ? 'ok' : 'MISS'} chain ${x.chain} actions ${x.actions}${x.missing.length ? ` missing: ${x.missing.join('; ')}` : ''}`);
      for (const inc of run.result.incidents.slice(0, 8)) out.push(`    #${inc.rank} ${inc.severity} ${inc.score} ${inc.title}`);
    }
  }
  const m = r.metrics;
  out.push('');
  out.push(`hand-written scenarios: ${m.scenarios}, true incidents: ${m.truthIncidents}`);
  out.push(`  root-identity recall@1   ${pct(m.rootRecallAt1)}   (target >= 90%)`);
  out.push(`  chain exact match        ${pct(m.chainExact)}`);
  out.push(`  chain partial credit     ${pct(m.chainPartial)}`);
  out.push(`  action recall            ${pct(m.actionRecall)}   (target >= 90%)`);
  out.push(`  NDCG@5                   ${m.ndcgAt5.toFixed(3)}   (target >= 0.9)`);
  out.push(`  false incidents / 1k benign events  ${m.falseIncidentsPer1kBenign.toFixed(2)}`);
  out.push(`  grounding (cited ids that exist)    ${pct(m.grounding)}   (target 100%)`);
  out.push(r.failures.length ? `FAILED: ${r.failures.join('; ')}` : 'all targets met');
  return out.join('\n') + '\n';
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  const scenario = arg('--scenario');
  const r = await runEval({ scenarios: scenario ? [scenario] : undefined, generated: args.includes('--generated'), employees: arg('--employees') ? Number(arg('--employees')) : undefined });
  if (args.includes('--json')) process.stdout.write(JSON.stringify({ metrics: r.metrics, failures: r.failures, scenarios: r.runs.map((x) => ({ name: x.name, metrics: aggregate([x.scored]), matches: x.scored.matches })), generated: r.generated ? { metrics: aggregate([r.generated.scored]), matches: r.generated.scored.matches } : null }, null, 2) + '\n');
  else process.stdout.write(report(r, Boolean(scenario) || args.includes('--verbose')));
  process.exitCode = r.failures.length ? 1 : 0;
}

/** Ids cited by the incidents, and how many of them exist in the store. */
async function grounding(db: Db, incidents: TriageIncident[]): Promise<{ cited: number; citedExisting: number }> {
  let cited = 0;
  let citedExisting = 0;
  for (const inc of incidents) {
    const g = await groundingRate(db, inc, inc);
    cited += g.cited;
    citedExisting += g.existing;
  }
  return { cited, citedExisting };
}
