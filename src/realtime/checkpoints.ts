import type { Db } from '../store/index.js';

/** Where `watch` is in one file (table watch_checkpoints, migration 009). */
export interface Checkpoint {
  path: string;
  mode: 'document' | 'ndjson';
  format: string | null;
  /** Bytes consumed: for NDJSON up to the last complete line read; for a document its whole size once done. */
  offset: number;
  size: number;
  mtimeMs: number | null;
  dev: string | null;
  ino: string | null;
  headHash: string | null;
  records: number;
  loaded: number;
  rejected: number;
  status: 'done' | 'following' | 'failed';
  error: string | null;
}

function fromRow(r: Record<string, any>): Checkpoint {
  return {
    path: r.path, mode: r.mode, format: r.format ?? null, offset: Number(r.byte_offset), size: Number(r.size),
    mtimeMs: r.mtime_ms === null ? null : Number(r.mtime_ms), dev: r.dev ?? null, ino: r.ino ?? null, headHash: r.head_hash ?? null,
    records: Number(r.records), loaded: Number(r.loaded), rejected: Number(r.rejected), status: r.status, error: r.error ?? null,
  };
}

export async function loadCheckpoints(db: Db): Promise<Map<string, Checkpoint>> {
  const rows = await db.query('SELECT * FROM watch_checkpoints');
  return new Map(rows.map((r) => [r.path as string, fromRow(r)]));
}

/** Written in the transaction that loaded the records it accounts for: both happen, or neither. */
export async function saveCheckpoint(db: Db, c: Checkpoint): Promise<void> {
  await db.query(`
    INSERT INTO watch_checkpoints (path, mode, format, byte_offset, size, mtime_ms, dev, ino, head_hash, records, loaded, rejected, status, error, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
    ON CONFLICT (path) DO UPDATE SET mode = excluded.mode, format = excluded.format, byte_offset = excluded.byte_offset, size = excluded.size,
      mtime_ms = excluded.mtime_ms, dev = excluded.dev, ino = excluded.ino, head_hash = excluded.head_hash, records = excluded.records,
      loaded = excluded.loaded, rejected = excluded.rejected, status = excluded.status, error = excluded.error, updated_at = now()`,
  [c.path, c.mode, c.format, c.offset, c.size, c.mtimeMs, c.dev, c.ino, c.headHash, c.records, c.loaded, c.rejected, c.status, c.error]);
}
