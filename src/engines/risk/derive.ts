import { loadConfig } from '../../lib/config.js';
import type { Config } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { runDetections, type DetectResult } from '../detections/run.js';
import { scoreAll, type ScoreSummary } from './score-all.js';

/**
 * The post-ingest derivation of this engine family: detections and baselines over the events that
 * are new since the last run (incremental, state in the store), then a full re-score, so that the
 * alerts just raised count in the scores. Without a configuration it reads ./idcopilot.yaml when
 * there is one, and the defaults otherwise (a broken file is reported by the commands that read it,
 * not here, where it would fail an ingest that already succeeded).
 */
export async function detectAndScore(db: Db, config?: Config): Promise<{ detections: DetectResult | null; risk: ScoreSummary | null; error: string | null }> {
  const cfg = config ?? defaultConfig();
  try {
    const detections = await runDetections(db, { config: cfg });
    const risk = await scoreAll(db, { config: cfg });
    return { detections, risk, error: null };
  } catch (err) {
    // The ingest itself succeeded and is committed: say what failed and how to retry, do not undo it.
    const error = `detections and risk scoring failed after ingest (${(err as Error).message.split('\n')[0]}); run \`idcopilot detect\` to retry`;
    process.stderr.write(`warning: ${error}\n`);
    return { detections: null, risk: null, error };
  }
}

function defaultConfig(): Config | undefined {
  try {
    return loadConfig();
  } catch {
    return undefined;
  }
}
