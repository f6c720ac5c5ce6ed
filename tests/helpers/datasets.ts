import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared public datasets (real vendor formats with labels) live outside the project, in
 * ../shared/datasets (IDCOPILOT_DATASETS overrides). Tests that use them skip, saying why, when absent.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DATASETS = process.env.IDCOPILOT_DATASETS ?? join(ROOT, '../shared/datasets');

export function dataset(...parts: string[]): string {
  return join(DATASETS, ...parts);
}

export const hasDatasets = existsSync(DATASETS);
export const SKIP_DATASETS = `skipped: the shared datasets folder ${DATASETS} is absent (set IDCOPILOT_DATASETS)`;
