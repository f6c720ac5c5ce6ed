import { runTriage } from '../agent/triage.js';
import type { Config, SuppressionRule, TriageResult } from '../model/index.js';
import type { Db } from '../store/index.js';

/**
 * Whether the stored incidents describe the latest data: a triage run stamps each incident with the
 * data time it judged (as_of); events newer than the newest stamp mean a run is due.
 */
export async function triageIsStale(db: Db): Promise<boolean> {
  const [r] = await db.query<{ judged: Date | null; latest: Date | null; n: number }>(`
    SELECT (SELECT max(as_of) FROM incidents) AS judged, (SELECT max(time) FROM events WHERE provider <> 'copilot') AS latest, (SELECT count(*)::int FROM alerts) AS n`);
  if (!r.n) return false;
  if (!r.judged) return true;
  return r.latest !== null && new Date(r.latest).getTime() > new Date(r.judged).getTime();
}

/** Triage as the channels need it: deterministic prose, persisted, so that ids and history stay stable. */
export function triageForChannels(db: Db, cfg: Config, opts: { top?: number; since?: Date | null; suppressions?: SuppressionRule[]; persist?: boolean; detect?: boolean } = {}): Promise<TriageResult> {
  return runTriage(db, { config: cfg, top: opts.top ?? 50, since: opts.since ?? null, suppressions: opts.suppressions, narrator: 'deterministic', persist: opts.persist, detect: opts.detect, embed: false });
}
