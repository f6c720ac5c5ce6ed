import { shortHash } from '../../lib/secrets.js';
import type { Db } from '../../store/index.js';
import { HashingEmbedder, similar, upsertEmbeddings, type Embedder } from '../embeddings/index.js';

/**
 * Similar incidents through the embeddings store (pgvector where installed): each incident is embedded
 * as its summary (title, root, the rules and sources that flagged it, what happened), lazily and only
 * when that text changed, so that "has this happened before?" costs one nearest-neighbour query.
 */
export async function ensureIncidentEmbeddings(db: Db, embedder: Embedder = new HashingEmbedder(), limit = 2000): Promise<number> {
  const rows = await db.query(`
    SELECT i.id, i.title, i.root_identity, i.assessment->>'whatIsHappening' AS what, i.assessment->'signals' AS signals, e.content_hash
    FROM incidents i LEFT JOIN embeddings e ON e.kind = 'incident' AND e.id = i.id AND e.model = $1
    ORDER BY i.updated_at DESC LIMIT $2`, [embedder.model, limit]);
  const todo: { id: string; text: string; hash: string }[] = [];
  for (const r of rows) {
    const text = incidentText(r);
    const hash = shortHash(text);
    if (r.content_hash !== hash) todo.push({ id: r.id, text, hash });
  }
  for (let i = 0; i < todo.length; i += 200) {
    const batch = todo.slice(i, i + 200);
    const vectors = await embedder.embed(batch.map((b) => b.text));
    await upsertEmbeddings(db, 'incident', embedder.model, batch.map((b, j) => ({ id: b.id, hash: b.hash, vector: vectors[j] })));
  }
  return todo.length;
}

function incidentText(r: Record<string, any>): string {
  const signals = (typeof r.signals === 'string' ? JSON.parse(r.signals) : r.signals) ?? [];
  const rules = [...new Set((signals as { rule: string | null; source: string; title: string }[]).map((s) => `${s.source} ${s.rule ?? ''} ${s.title}`))].join(' ');
  return [r.title, r.root_identity, rules, r.what ?? ''].join(' ');
}

export async function similarIncidents(db: Db, query: { id?: string; text?: string }, k = 5, embedder: Embedder = new HashingEmbedder()): Promise<{ id: string; score: number; title: string; status: string; severity: string }[]> {
  await ensureIncidentEmbeddings(db, embedder);
  let vector: number[] | null = null;
  if (query.id) {
    const [r] = await db.query(`SELECT id, title, root_identity, assessment->>'whatIsHappening' AS what, assessment->'signals' AS signals FROM incidents WHERE id = $1`, [query.id]);
    if (r) [vector] = await embedder.embed([incidentText(r)]);
  } else if (query.text) [vector] = await embedder.embed([query.text]);
  if (!vector) return [];
  const near = (await similar(db, 'incident', vector, k + 1, embedder.model)).filter((n) => n.id !== query.id).slice(0, k);
  if (!near.length) return [];
  const rows = await db.query('SELECT id, title, status, severity FROM incidents WHERE id = ANY($1::text[])', [near.map((n) => n.id)]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return near.filter((n) => byId.has(n.id)).map((n) => ({ id: n.id, score: Math.round(n.score * 1000) / 1000, title: byId.get(n.id)!.title, status: byId.get(n.id)!.status, severity: byId.get(n.id)!.severity }));
}
