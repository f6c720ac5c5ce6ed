import { Command } from 'commander';
import { runDetections } from '../../engines/detections/index.js';
import { scoreAll } from '../../engines/risk/index.js';
import { CONTRACT_VERSION } from '../../model/index.js';
import { config, globals, printJson, table, usage, withGlobals, withStore } from '../context.js';

export function detectCommand(): Command {
  return withGlobals(new Command('detect'))
    .description('run the identity detections (rules) and behaviour baselines over the events in the store; the copilot\'s own alerts')
    .option('--since <time>', 're-judge everything from this time (ISO date or time): history before it is the baseline')
    .option('--limit <n>', 'alerts to list (default 30)', (v) => Number(v), 30)
    .option('--no-score', 'do not re-score risk afterwards')
    .option('--json', 'print { mode, from, cutoff, watermark, events, alerts: { rules, baseline, byRule, byKind }, raised: [alert] }')
    .addHelpText('after', `\nWithout --since, only events newer than the last run are judged (the same happens after every ingest).\nAlerts: source copilot:rules (id rule:<rule id>:<event id>) and copilot:baseline (one per identity, deviation and hour).`)
    .action(async (opts, cmd: Command) => {
      if (opts.since !== undefined && Number.isNaN(Date.parse(opts.since))) usage(`--since: "${opts.since}" is not a date or time (expected e.g. 2026-11-05 or 2026-11-05T12:00:00Z)`);
      if (!Number.isInteger(opts.limit) || opts.limit < 0) usage('--limit must be a non-negative integer');
      const cfg = config(cmd);
      const { result, raised } = await withStore(cmd, async (db) => {
        const result = await runDetections(db, { since: opts.since, config: cfg });
        if (opts.score !== false) await scoreAll(db, { config: cfg });
        const raised = result.from
          ? await db.query<{ id: string; time: Date | string; source: string; severity: string; title: string; description: string; rule: string; identities: string[]; events: string[]; mitre: string[] }>(`SELECT id, time, source, severity, title, description, rule, identities, events, mitre FROM alerts
              WHERE source IN ('copilot:rules', 'copilot:baseline') AND time >= $1
              ORDER BY CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END DESC, time DESC
              LIMIT $2`, [result.from, opts.limit])
          : [];
        return { result, raised: raised.map((a) => ({ ...a, time: new Date(a.time).toISOString() })) };
      });
      if (globals(cmd).json) return printJson({ contractVersion: CONTRACT_VERSION, ...result, raised });
      const a = result.alerts;
      const lines = [
        `${result.mode === 'none' ? 'No events in the store.' : `${result.mode} run: ${result.events} events judged from ${result.from?.slice(0, 16) ?? '-'} (baseline up to ${result.cutoff?.slice(0, 16) ?? '-'}) in ${(result.durationMs / 1000).toFixed(1)} s`}`,
        `alerts: ${a.rules} from rules, ${a.baseline} from baselines`,
      ];
      if (raised.length) lines.push('', table(raised.map((r) => [r.severity, r.time.slice(0, 16).replace('T', ' '), r.rule, r.identities[0] ?? '', r.title]), ['severity', 'time', 'rule', 'identity', 'title']));
      process.stdout.write(lines.join('\n') + '\n');
    });
}
