import { describe, expect, it } from 'vitest';
import { aggregate, TARGETS } from '../../../evals/scorer.js';
import { evalGenerated, report, runEval, scenarioNames } from '../../../evals/run-eval.js';

/**
 * The quality gate: `npm run eval` over the hand-written scenarios, asserting the targets
 * (root recall@1, action recall, NDCG@5 >= 0.9; grounding 100%). The generated estate runs when
 * IDCOPILOT_EVAL_GENERATED=1 (a few minutes: it generates, loads and detects a 200-person company).
 */
describe('eval', () => {
  it('meets the targets on the hand-written scenarios', async () => {
    expect(scenarioNames().length).toBeGreaterThanOrEqual(8);
    const r = await runEval();
    process.stdout.write(report(r));
    expect(r.failures).toEqual([]);
    expect(r.metrics.rootRecallAt1).toBeGreaterThanOrEqual(TARGETS.rootRecallAt1);
    expect(r.metrics.actionRecall).toBeGreaterThanOrEqual(TARGETS.actionRecall);
    expect(r.metrics.ndcgAt5).toBeGreaterThanOrEqual(TARGETS.ndcgAt5);
    expect(r.metrics.grounding).toBe(1);
    // Every scenario is read whole: vendor formats the connectors accept, nothing rejected.
    for (const run of r.runs) expect(run.scored.matches.every((m) => m.incident !== null), run.name).toBe(true);
  }, 900_000);

  it.skipIf(process.env.IDCOPILOT_EVAL_GENERATED !== '1')('scores the generated estate (set IDCOPILOT_EVAL_GENERATED=1 to run it)', async () => {
    const g = await evalGenerated();
    const m = aggregate([g.scored]);
    process.stdout.write(`generated estate: ${JSON.stringify(m)}\n`);
    expect(m.rootRecallAt1).toBeGreaterThanOrEqual(0.8);
  }, 1_800_000);
});
