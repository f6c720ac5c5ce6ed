import pLimit from 'p-limit';
import { Config, type TriageIncident, type TriageResult } from '../model/index.js';
import type { Db } from '../store/index.js';
import { correlate, type TriageOptions } from '../engines/correlate/index.js';
import { ensureIncidentEmbeddings } from '../engines/correlate/similar.js';
import { saveAssessments } from '../engines/correlate/stored.js';
import { HashingEmbedder } from '../engines/embeddings/index.js';
import { embedderFor, llmSettings, LlmNarrator } from './llm.js';
import { TemplateNarrator, type Narrator } from './narrate.js';

/**
 * Triage as the surfaces run it: correlation (engines), then prose for each shown incident from the
 * chosen narrator (deterministic by default, the LLM behind the grounding guard when asked for and
 * configured), stored with the incident, then incident embeddings refreshed for "similar incidents".
 * Priorities and actions are never touched here: only the two prose fields and the narrator's note.
 */
export interface RunTriageOptions extends TriageOptions {
  /** `auto`: the LLM when an endpoint is configured, else templates. Default `deterministic`. */
  narrator?: 'deterministic' | 'llm' | 'auto' | Narrator;
  /** Refresh incident embeddings (default true when persisting). */
  embed?: boolean;
}

export async function runTriage(db: Db, opts: RunTriageOptions = {}): Promise<TriageResult> {
  const cfg = opts.config ?? Config.parse({});
  const run = await correlate(db, { ...opts, config: cfg });
  const { narrator, notice } = pickNarrator(db, cfg, opts.narrator ?? 'deterministic');
  if (notice) run.result.notices.push(notice);
  await narrateAll(run.result.incidents, narrator);
  if (opts.persist !== false) {
    await saveAssessments(db, run.result.incidents);
    if (opts.embed !== false) {
      try {
        await ensureIncidentEmbeddings(db, embedderFor(cfg) ?? new HashingEmbedder());
      } catch (err) {
        run.result.notices.push(`incident embeddings not refreshed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }
  return run.result;
}

export function pickNarrator(db: Db, cfg: Config, choice: RunTriageOptions['narrator']): { narrator: Narrator; notice: string | null } {
  if (choice && typeof choice === 'object') return { narrator: choice, notice: null };
  if (choice === 'deterministic' || !choice) return { narrator: new TemplateNarrator(), notice: null };
  const s = llmSettings(cfg);
  if (!s) return { narrator: new TemplateNarrator(), notice: choice === 'llm' ? 'no LLM endpoint configured (OPENAI_BASE_URL or llm.baseUrl): deterministic narration' : null };
  return { narrator: new LlmNarrator(db, cfg, s), notice: null };
}

/** Prose for each incident; two at a time, so that an LLM endpoint is not flooded. */
export async function narrateAll(incidents: TriageIncident[], narrator: Narrator): Promise<void> {
  const limit = pLimit(2);
  await Promise.all(incidents.map((inc) => limit(async () => {
    const n = await narrator.narrate(inc);
    inc.whatIsHappening = n.whatIsHappening;
    inc.whatNeedsActionNow = n.whatNeedsActionNow;
    inc.narrator = n.info;
  })));
}
