import { Command, Option } from 'commander';
import { auditCommand } from '../audit/cli.js';
import { loadConfig } from '../lib/config.js';
import { CopilotError } from '../lib/errors.js';
import type { Config } from '../model/index.js';
import { DEFAULT_DATA_DIR, openStore, type Db } from '../store/index.js';

export interface GlobalOptions {
  data?: string;
  config?: string;
  json?: boolean;
}

/**
 * Global options are accepted before or after the subcommand (`idcopilot --data X lookup q` and
 * `idcopilot lookup q --data X`): each command declares them too, and optsWithGlobals() merges.
 */
export function withGlobals(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data <dir>', `embedded store directory, or :memory: (default ${DEFAULT_DATA_DIR}; DATABASE_URL selects a PostgreSQL server instead)`))
    .addOption(new Option('--config <file>', 'configuration file (default ./idcopilot.yaml when present)'));
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function config(cmd: Command): Config {
  return loadConfig(globals(cmd).config);
}

/**
 * Open the store the options and environment select, run fn, always close. Every command that runs
 * here is audited (src/audit/cli.ts) unless it audits itself (`serve`: one record per call).
 */
export async function withStore<T>(cmd: Command, fn: (db: Db) => Promise<T>, opts: { data?: string; audit?: boolean } = {}): Promise<T> {
  const g = globals(cmd);
  const databaseUrl = process.env.DATABASE_URL || undefined;
  if (databaseUrl && g.data && g.data !== ':memory:') {
    process.stderr.write(`note: DATABASE_URL is set; --data ${g.data} is ignored\n`);
  }
  const db = await openStore({ data: opts.data ?? g.data, databaseUrl: opts.data === ':memory:' ? undefined : databaseUrl, command: cmd.name() });
  try {
    return opts.audit === false ? await fn(db) : await auditCommand(cmd, db, () => fn(db));
  } finally {
    await db.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function usage(message: string): never {
  throw new CopilotError('E_USAGE', message);
}

/** Plain text tables: column widths from the content, numbers right-aligned. */
export function table(rows: (string | number | null | undefined)[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const r of all) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c ?? '').length)));
  const fmt = (r: (string | number | null | undefined)[]) =>
    r.map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]) : String(c ?? '').padEnd(widths[i]))).join('  ').trimEnd();
  const lines = all.map(fmt);
  if (header) lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}
