import { Command } from 'commander';
import { userInfo } from 'node:os';
import { appendSuppression, DEFAULT_SUPPRESSIONS_FILE, incidentHistory, setIncidentStatus, type StatusVerb } from '../../engines/correlate/index.js';
import { getStoredIncident, listStoredIncidents } from '../../engines/correlate/stored.js';
import { CopilotError } from '../../lib/errors.js';
import { parseDuration } from '../../lib/time.js';
import { IncidentStatus, type SuppressionRule } from '../../model/index.js';
import { globals, printJson, table, usage, withGlobals, withStore } from '../context.js';

function who(): string {
  try {
    return process.env.IDCOPILOT_ACTOR || userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** An analyst's decision: ack, resolve, false-positive, reopen; kept with who, when and why. */
function decision(verb: StatusVerb, what: string): Command {
  // Nested commands report usage errors to main (exit status 2) like top-level ones.
  return withGlobals(new Command(verb)).exitOverride()
    .description(what)
    .argument('<id>', 'incident id (inc-0123456789)')
    .requiredOption('--reason <text>', 'why (kept in the incident history)')
    .option('--actor <name>', 'who decides (default: $IDCOPILOT_ACTOR or the local user)')
    .option('--suppress <duration>', 'also write suppression rules for this pattern, expiring after this long (e.g. 30d)')
    .option('--suppressions <file>', `suppressions file to append to (default ./${DEFAULT_SUPPRESSIONS_FILE})`)
    .option('--json', 'print { id, from, to, suppressions }')
    .action(async (id: string, opts, cmd: Command) => {
      const g = globals(cmd);
      const actor = opts.actor ?? who();
      const out = await withStore(cmd, async (db) => {
        const changed = await setIncidentStatus(db, id, verb, { actor, reason: opts.reason });
        let written: string[] = [];
        if (opts.suppress) {
          const stored = await getStoredIncident(db, id);
          written = writeSuppressions(stored!, opts.suppress, opts.reason, actor, opts.suppressions ?? DEFAULT_SUPPRESSIONS_FILE);
        }
        return { ...changed, suppressions: written };
      });
      if (g.json) return printJson(out);
      process.stdout.write(`${out.id}: ${out.from} -> ${out.to} (by ${actor}: ${opts.reason})\n`);
      if (out.suppressions.length) process.stdout.write(`suppression rule(s) ${out.suppressions.join(', ')} written to ${opts.suppressions ?? DEFAULT_SUPPRESSIONS_FILE}: review and commit them\n`);
    });
}

/** One rule per alert rule of the incident, bound to its root identity: the same benign pattern, nothing wider. */
function writeSuppressions(stored: NonNullable<Awaited<ReturnType<typeof getStoredIncident>>>, duration: string, reason: string, author: string, file: string): string[] {
  let ms: number;
  try {
    ms = parseDuration(duration);
  } catch (err) {
    throw new CopilotError('E_USAGE', `--suppress: ${(err as Error).message}`);
  }
  const expires = new Date(Date.now() + ms).toISOString().slice(0, 10);
  const rules = [...new Set((stored.assessment?.signals ?? []).map((s) => s.rule ?? s.title))];
  const ids: string[] = [];
  for (const [i, rule] of (rules.length ? rules : [null]).entries()) {
    const r: SuppressionRule = {
      id: `${stored.id}-${i + 1}`,
      match: { rootIdentity: stored.rootIdentity, ...(rule ? (stored.assessment?.signals.some((s) => s.rule === rule) ? { rule } : { title: rule }) : {}) },
      reason, author, created: new Date().toISOString().slice(0, 10), expires,
    };
    appendSuppression(file, r);
    ids.push(r.id);
  }
  return ids;
}

export function incidentCommand(): Command {
  const cmd = withGlobals(new Command('incident')).description('close the loop on incidents: acknowledge, resolve, mark false positive, reopen, list, history');
  cmd.addCommand(decision('ack', 'acknowledge: someone is on it'));
  cmd.addCommand(decision('resolve', 'resolved: the actions were taken'));
  cmd.addCommand(decision('false-positive', 'not an incident (add --suppress 30d to stop the same pattern coming back)'));
  cmd.addCommand(decision('reopen', 'open it again'));
  cmd.addCommand(withGlobals(new Command('list')).exitOverride()
    .description('stored incidents, open first, strongest first')
    .option('--status <list>', `comma-separated statuses (${IncidentStatus.options.join(', ')})`)
    .option('--limit <n>', 'at most this many (max 100)', (v) => Number(v), 20)
    .option('--json', 'print { incidents: [...] }')
    .action(async (opts, c: Command) => {
      const status = opts.status ? String(opts.status).split(',').map((s) => s.trim()) : undefined;
      for (const s of status ?? []) if (!IncidentStatus.safeParse(s).success) usage(`--status: unknown status "${s}" (known: ${IncidentStatus.options.join(', ')})`);
      const list = await withStore(c, (db) => listStoredIncidents(db, { status: status as IncidentStatus[] | undefined, limit: opts.limit }));
      if (globals(c).json) return printJson({ incidents: list.map(({ assessment: _a, ...rest }) => rest) });
      process.stdout.write(table(list.map((i) => [i.id, i.status, i.severity, i.score, i.lastSeen?.slice(0, 16) ?? '-', i.title.slice(0, 90)]), ['id', 'status', 'severity', 'score', 'last seen', 'title']) + '\n');
    }));
  cmd.addCommand(withGlobals(new Command('history')).exitOverride()
    .description('who decided what about an incident, and why')
    .argument('<id>', 'incident id')
    .option('--json', 'print { id, history: [...] }')
    .action(async (id: string, _opts, c: Command) => {
      const history = await withStore(c, async (db) => {
        if (!(await getStoredIncident(db, id))) throw new CopilotError('E_NOT_FOUND', `no incident ${id} in the store`);
        return incidentHistory(db, id);
      });
      if (globals(c).json) return printJson({ id, history });
      process.stdout.write(history.map((h) => `${h.at.slice(0, 19)}Z  ${h.action.padEnd(15)} ${h.actor}${h.reason ? `: ${h.reason}` : ''}`).join('\n') + '\n');
    }));
  return cmd;
}
