import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CopilotError } from '../lib/errors.js';

export interface FoundFile {
  path: string;
  /** true when named on the command line; false when found by walking a folder. */
  explicit: boolean;
}

/**
 * Expand command-line paths: files as given, folders walked recursively in a stable (sorted) order,
 * as CloudTrail delivers them (AWSLogs/<account>/CloudTrail/<region>/Y/M/D/*.json.gz). Hidden files and
 * folders are skipped.
 */
export async function expandPaths(paths: readonly string[]): Promise<FoundFile[]> {
  const out: FoundFile[] = [];
  for (const p of paths) {
    let stat;
    try {
      stat = await fs.stat(p);
    } catch {
      throw new CopilotError('E_IO', `${p}: no such file or folder`, { path: p });
    }
    if (stat.isDirectory()) await walk(p, out);
    else out.push({ path: p, explicit: true });
  }
  return out;
}

async function walk(dir: string, out: FoundFile[]): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push({ path: p, explicit: false });
  }
}
