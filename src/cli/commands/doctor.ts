import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { registry } from '../../connectors/index.js';
import { loadConfig } from '../../lib/config.js';
import { listMigrations } from '../../store/migrate.js';
import { globals, printJson, withGlobals, withStore } from '../context.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export function doctorCommand(): Command {
  return withGlobals(new Command('doctor'))
    .description('check the store, its schema and extensions, the configuration and optional integrations')
    .option('--json', 'print the checks as JSON')
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd);
      const checks: Check[] = [];
      checks.push({ name: 'node', ok: Number(process.versions.node.split('.')[0]) >= 20, detail: process.version });
      try {
        const cfg = loadConfig(g.config);
        checks.push({ name: 'config', ok: true, detail: g.config ?? (existsSync('idcopilot.yaml') ? 'idcopilot.yaml' : 'defaults (no idcopilot.yaml)') });
        const llm = process.env.OPENAI_BASE_URL ?? cfg.llm.baseUrl;
        checks.push({ name: 'narrator', ok: true, detail: llm ? `LLM at ${llm} (model ${cfg.llm.model}); deterministic fallback` : 'deterministic (offline); set OPENAI_BASE_URL or llm.baseUrl for an LLM' });
        const slack = process.env.SLACK_WEBHOOK_URL ? 'webhook' : process.env.SLACK_BOT_TOKEN ? `bot token, channel ${cfg.slack.channel ?? '(none set)'}` : null;
        checks.push({ name: 'slack', ok: true, detail: slack ?? 'not configured (notify slack --dry-run prints payloads)' });
      } catch (err) {
        checks.push({ name: 'config', ok: false, detail: (err as Error).message });
      }
      try {
        await withStore(cmd, async (db) => {
          const [v] = await db.query<{ version: string }>('SELECT version()');
          checks.push({ name: 'store', ok: true, detail: `${db.driver === 'pglite' ? 'embedded PGlite' : 'PostgreSQL server'} at ${db.location}: ${v.version.split(' on ')[0]}` });
          const [ext] = await db.query<{ installed: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS installed");
          checks.push({
            name: 'pgvector',
            ok: true,
            detail: ext.installed ? 'installed: similarity search uses pgvector' : 'not available on this server: similarity search degrades to an exact scan (correct, slower on large stores)',
          });
          const applied = await db.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
          const known = listMigrations(db.capabilities.vector);
          const pending = known.filter((m) => !applied.some((a) => a.version === m.version));
          checks.push({ name: 'schema', ok: pending.length === 0, detail: `${applied.length} migrations applied${pending.length ? `, ${pending.length} pending` : ''} (latest ${applied.at(-1)?.name ?? '-'})` });
          const counts = await db.query<{ t: string; n: number }>(`
            SELECT 'identities' AS t, count(*)::int AS n FROM identities UNION ALL SELECT 'credentials', count(*)::int FROM credentials
            UNION ALL SELECT 'edges', count(*)::int FROM edges UNION ALL SELECT 'events', count(*)::int FROM events
            UNION ALL SELECT 'alerts', count(*)::int FROM alerts UNION ALL SELECT 'resources', count(*)::int FROM resources
            UNION ALL SELECT 'embeddings', count(*)::int FROM embeddings`);
          checks.push({ name: 'data', ok: true, detail: counts.map((c) => `${c.n} ${c.t}`).join(', ') });
        });
      } catch (err) {
        checks.push({ name: 'store', ok: false, detail: (err as Error).message });
      }
      checks.push({ name: 'connectors', ok: registry.all.length > 0, detail: registry.all.map((c) => c.name).join(', ') || 'none registered' });
      const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
      checks.push({ name: 'chromium', ok: true, detail: chromium ? `${chromium} (PDF briefings, browser tests)` : 'not installed: `brief --format pdf` is unavailable (apt-get install chromium)' });
      if (g.json) printJson({ ok: checks.every((c) => c.ok), checks });
      else for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(11)} ${c.detail}\n`);
      if (!checks.every((c) => c.ok)) process.exitCode = 1;
    });
}
