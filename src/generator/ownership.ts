import { StreamedFile, type OutputStats } from './output.js';

/** One entry of ownership/ownership.yaml: an identity id or a `*` pattern, and who answers for it. */
export interface OwnerEntry {
  match: string;
  owner?: string;
  team?: string;
  note?: string;
}

/** `*` matches any run of characters (slashes included), as the ownership-map connector reads it. */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

/** Decides whether an identity is covered by the map: exact entries by lookup, patterns by regex. */
export class OwnershipIndex {
  private readonly exact = new Set<string>();
  private readonly patterns: RegExp[] = [];

  add(entries: readonly OwnerEntry[]): void {
    for (const e of entries) {
      if (e.match.includes('*')) this.patterns.push(globToRegExp(e.match));
      else this.exact.add(e.match);
    }
  }

  covers(id: string): boolean {
    return this.exact.has(id) || this.patterns.some((p) => p.test(id));
  }
}

/**
 * ownership/ownership.yaml, streamed entry by entry (a large estate has thousands). Strings are written
 * double-quoted, which YAML reads exactly as JSON does.
 */
export class OwnershipWriter {
  private constructor(private readonly file: StreamedFile) {}

  static async open(out: string, stats: OutputStats): Promise<OwnershipWriter> {
    const file = await StreamedFile.open(out, 'ownership/ownership.yaml', 'ownership', stats);
    await file.write(
      '# Service ownership, kept by the Platform team. `match` is an identity ARN or a pattern where * matches anything.\n' +
      '# Not everything is here: many workloads are owned through their owner/team tags.\n' +
      'owners:\n',
    );
    return new OwnershipWriter(file);
  }

  async add(entries: readonly OwnerEntry[]): Promise<void> {
    if (!entries.length) return;
    let text = '';
    for (const e of entries) {
      text += `  - match: ${JSON.stringify(e.match)}\n`;
      if (e.owner) text += `    owner: ${JSON.stringify(e.owner)}\n`;
      if (e.team) text += `    team: ${JSON.stringify(e.team)}\n`;
      if (e.note) text += `    note: ${JSON.stringify(e.note)}\n`;
    }
    await this.file.write(text);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
