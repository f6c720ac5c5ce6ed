import { RECORD_SCHEMAS, type Config } from '../model/index.js';
import { BulkWriter, type Db } from '../store/index.js';
import { SeenState } from '../engines/baseline/state.js';
import { ENGINE } from '../engines/detections/run.js';
import { RuleEvaluator } from '../engines/detections/evaluate.js';
import { loadRules, type RuleSet } from '../engines/detections/load.js';
import { EVENT_SQL, FactsCache, viewFromRow } from '../engines/detections/view.js';
import { riskSettings } from '../engines/risk/settings.js';

/**
 * Events that arrive older than the detections' watermark. CloudTrail delivers each account and region
 * on its own schedule, and HTTP senders race each other, so in real time this is the normal case, not
 * the exception; the incremental detections run, which judges only what is newer than its watermark,
 * would pass over them. They are judged here, by the same rules against the same seen state: `match`
 * rules as always; `first_time` and `new_network` against what is known by now (which may include
 * later events: a first time can then go unnoticed, never be invented); `burst` rules among the late
 * events themselves. Behaviour baselines (hourly rates) are left to `detect --since`, which replays
 * history in order.
 */
export interface LateResult {
  events: number;
  alerts: number;
}

const PAGE = 5000;

export async function judgeLate(db: Db, eventIds: string[], opts: { config?: Config; rules?: RuleSet; notAfter?: { time: Date; id: string } } = {}): Promise<LateResult> {
  if (!eventIds.length) return { events: 0, alerts: 0 };
  const settings = riskSettings(opts.config?.risk);
  const rules = opts.rules ?? loadRules();
  const [prev] = await db.query<{ cutoff: Date | null }>('SELECT cutoff FROM engine_state WHERE engine = $1', [ENGINE]);
  // Before the baseline cut-off the stateful rules learn and do not judge, as in the detections run.
  const cutoffMs = prev?.cutoff ? new Date(prev.cutoff).getTime() : Number.POSITIVE_INFINITY;
  const state = new SeenState(db, false, settings.thresholds.baselineMaxValuesPerDim);
  const evaluator = new RuleEvaluator(rules, state);
  const facts = new FactsCache();
  let events = 0;
  for (let i = 0; i < eventIds.length; i += PAGE) {
    // The bound is compared in SQL, in the order (and collation) the detections page through events.
    const rows = opts.notAfter
      ? await db.query(`${EVENT_SQL} WHERE e.id = ANY($1::text[]) AND (e.time, e.id) <= ($2::timestamptz, $3::text) ORDER BY e.time, e.id`, [eventIds.slice(i, i + PAGE), opts.notAfter.time, opts.notAfter.id])
      : await db.query(`${EVENT_SQL} WHERE e.id = ANY($1::text[]) ORDER BY e.time, e.id`, [eventIds.slice(i, i + PAGE)]);
    const views = rows.map(viewFromRow);
    await facts.hydrate(db, views);
    const subjects = new Set<string>();
    for (const v of views) evaluator.subjectsOf(v, subjects);
    await state.load(subjects);
    for (const v of views) {
      evaluator.observe(v, { alert: true, judge: v.ms > cutoffMs, learn: true });
      events++;
    }
  }
  const alerts = [...evaluator.alerts.values()];
  await db.transaction(async (tx) => {
    await state.flush(tx);
    const w = new BulkWriter(tx);
    for (const a of alerts) w.add({ kind: 'alert', value: RECORD_SCHEMAS.alert.parse(a) });
    await w.flush();
  });
  return { events, alerts: alerts.length };
}
