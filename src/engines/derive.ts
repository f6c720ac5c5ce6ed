import type { Db } from '../store/index.js';
import { resolveIdentities } from './identity-resolution.js';
import { resolveOwnership } from './ownership.js';
import { detectAndScore } from './risk/derive.js';

/**
 * Facts derived from what was ingested, recomputed after each ingest (idempotent, whole-store, in SQL):
 * - a credential that is also an identity (an access key, a PAT) `authenticates_as` its principal;
 * - owner claims resolved to `owns` edges.
 * - detections and baselines over the new events, then the risk re-score (src/engines/risk/derive.ts).
 * Further derivations (identity resolution across providers) register here.
 */
export async function deriveAfterIngest(db: Db): Promise<{ ownership: { edges: number; unresolved: number }; credentialEdges: number }> {
  const derived = await deriveGraph(db);
  await detectAndScore(db);
  return derived;
}

/** The graph facts alone (no detections, no scoring): real time (src/realtime) runs those on their own cadence. */
export async function deriveGraph(db: Db): Promise<{ ownership: { edges: number; unresolved: number }; credentialEdges: number }> {
  const [cred] = await db.query<{ n: number }>(`
    WITH ins AS (
      INSERT INTO edges (from_id, kind, to_id, potential, observed, count, evidence, attributes)
      SELECT c.id, 'authenticates_as', c.identity_id, true, false, 0, jsonb_build_array(c.id), '{"derived": "credential"}'::jsonb
      FROM credentials c JOIN identities k ON k.id = c.id
      WHERE c.identity_id <> c.id
      ON CONFLICT (from_id, kind, to_id) DO NOTHING
      RETURNING 1)
    SELECT count(*)::int AS n FROM ins`);
  await resolveIdentities(db);
  const ownership = await resolveOwnership(db);
  return { ownership, credentialEdges: cred.n };
}
