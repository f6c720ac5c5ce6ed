import { shortHash } from '../../lib/secrets.js';
import type { Db } from '../../store/index.js';
import { cosine, HashingEmbedder, type Embedder } from './embedder.js';

export { HashingEmbedder, cosine, type Embedder } from './embedder.js';

export type EmbeddingKind = 'identity' | 'incident';

/** The text an identity is embedded as: what an analyst would describe it by. */
export function identityProfile(r: { kind: string; provider: string; name: string; email?: string | null; account?: string | null; environment?: string; status?: string; tags?: Record<string, string>; id: string }): string {
  const tags = Object.entries(r.tags ?? {}).map(([k, v]) => `${k} ${v}`).join(' ');
  return [r.kind.replace('_', ' '), r.provider, r.name, r.email ?? '', r.account ?? '', r.environment ?? '', r.status ?? '', tags, r.id].join(' ');
}

/**
 * Compute missing or stale embeddings for identities (never during ingest: on demand, bounded by
 * `limit`, or in a background step). Returns how many were written and how many remain.
 */
export async function ensureIdentityEmbeddings(db: Db, embedder: Embedder = new HashingEmbedder(), limit = 5000): Promise<{ written: number; remaining: number }> {
  const rows = await db.query(`
    SELECT i.id, i.kind, i.provider, i.name, i.email, i.account, i.environment, i.status, i.tags, e.content_hash
    FROM identities i LEFT JOIN embeddings e ON e.kind = 'identity' AND e.id = i.id AND e.model = $1
    WHERE e.id IS NULL OR e.content_hash IS NULL
    LIMIT $2`, [embedder.model, limit + 1]);
  const todo = rows.slice(0, limit);
  let written = 0;
  for (let i = 0; i < todo.length; i += 500) {
    const batch = todo.slice(i, i + 500);
    const texts = batch.map((r) => identityProfile(r as never));
    const vectors = await embedder.embed(texts);
    await upsertEmbeddings(db, 'identity', embedder.model, batch.map((r, j) => ({ id: r.id, hash: shortHash(texts[j]), vector: vectors[j] })));
    written += batch.length;
  }
  const [rest] = await db.query<{ n: number }>(`
    SELECT count(*)::int AS n FROM identities i
    WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.kind = 'identity' AND e.id = i.id AND e.model = $1)`, [embedder.model]);
  return { written, remaining: rest.n };
}

export async function upsertEmbeddings(db: Db, kind: EmbeddingKind, model: string, items: { id: string; hash: string; vector: number[] }[]): Promise<void> {
  if (items.length === 0) return;
  const vectorType = db.capabilities.vector ? 'vector' : 'real[]';
  const literal = (v: number[]) => (db.capabilities.vector ? `[${v.join(',')}]` : `{${v.join(',')}}`);
  await db.query(
    `INSERT INTO embeddings (kind, id, model, content_hash, embedding)
     SELECT $1, x.id, $2, x.hash, x.vec::${vectorType}
     FROM json_to_recordset($3::json) AS x(id text, hash text, vec text)
     ON CONFLICT (kind, id) DO UPDATE SET model = excluded.model, content_hash = excluded.content_hash, embedding = excluded.embedding`,
    [kind, model, JSON.stringify(items.map((it) => ({ id: it.id, hash: it.hash, vec: literal(it.vector) })))],
  );
}

/**
 * Nearest neighbours by cosine similarity: pgvector's `<=>` where installed, otherwise an exact scan
 * in Node (correct, slower on large stores; `idcopilot doctor` says which is in use).
 */
export async function similar(db: Db, kind: EmbeddingKind, vector: number[], k: number, model = 'hashing-v1'): Promise<{ id: string; score: number }[]> {
  if (db.capabilities.vector) {
    const rows = await db.query<{ id: string; distance: number }>(
      `SELECT id, embedding <=> $1::vector AS distance FROM embeddings WHERE kind = $2 AND model = $3 ORDER BY embedding <=> $1::vector LIMIT $4`,
      [`[${vector.join(',')}]`, kind, model, k],
    );
    return rows.map((r) => ({ id: r.id, score: 1 - Number(r.distance) }));
  }
  const rows = await db.query<{ id: string; embedding: number[] }>(`SELECT id, embedding FROM embeddings WHERE kind = $1 AND model = $2`, [kind, model]);
  return rows
    .map((r) => ({ id: r.id, score: cosine(vector, r.embedding) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}
