import type { Connector, Sample } from './contract.js';

/**
 * Every connector, in the order `--source auto` breaks ties (the highest detect score wins; on a tie
 * the earlier one). Add a source by adding its folder and one line to `all` in ./index.ts.
 */
export class ConnectorRegistry {
  constructor(readonly all: readonly Connector[]) {
    const names = new Set<string>();
    for (const c of all) {
      if (names.has(c.name)) throw new Error(`connector ${c.name} registered twice`);
      names.add(c.name);
    }
  }

  byName(name: string): Connector | undefined {
    return this.all.find((c) => c.name === name);
  }

  /** The connector that recognises the sample best, with its score, or null when none does. */
  detect(sample: Sample): { connector: Connector; score: number } | null {
    let best: { connector: Connector; score: number } | null = null;
    for (const c of this.all) {
      let score = 0;
      try {
        score = c.detect(sample);
      } catch {
        score = 0;
      }
      if (score > 0 && (!best || score > best.score)) best = { connector: c, score };
    }
    return best;
  }
}
