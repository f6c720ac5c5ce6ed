import { createHash } from 'node:crypto';

/** The embedding port: the engines take any implementation (offline hashing, OpenAI-compatible). */
export interface Embedder {
  /** Stored beside each vector, so that a model change re-embeds instead of mixing spaces. */
  readonly model: string;
  readonly dimensions: number;
  embed(texts: string[]): Promise<number[][]>;
}

export const EMBEDDING_DIMENSIONS = 256;

/**
 * The offline default: feature hashing of words and character trigrams into 256 dimensions, signed,
 * L2-normalised. Deterministic, no weights to download; similar names, kinds, tags and environments land
 * near each other, which is what "identities like this one" needs.
 */
export class HashingEmbedder implements Embedder {
  readonly model = 'hashing-v1';
  readonly dimensions = EMBEDDING_DIMENSIONS;

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): number[] {
    const v = new Float64Array(this.dimensions);
    const words = text.toLowerCase().split(/[^a-z0-9@._-]+/).filter(Boolean);
    for (const w of words) {
      add(v, 'w:' + w, 1.0);
      for (const part of w.split(/[@._-]+/)) if (part && part !== w) add(v, 'p:' + part, 0.7);
      const padded = `^${w}$`;
      for (let i = 0; i + 3 <= padded.length; i++) add(v, 't:' + padded.slice(i, i + 3), 0.3);
    }
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm) || 1;
    return Array.from(v, (x) => Math.round((x / norm) * 1e5) / 1e5);
  }
}

function add(v: Float64Array, feature: string, weight: number): void {
  const h = createHash('md5').update(feature).digest();
  const idx = h.readUInt32LE(0) % v.length;
  v[idx] += h[4] & 1 ? weight : -weight;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / (Math.sqrt(na * nb) || 1);
}
