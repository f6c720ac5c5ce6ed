import { Command, Option } from 'commander';
import { AuditLog, auditKeyFromEnv, ensureCopilotIdentity, localPrincipal } from '../../audit/index.js';
import { registry } from '../../connectors/index.js';
import { startRealtime, type RealtimeEvent, type WatchEvent } from '../../realtime/index.js';
import { config, globals, usage, withGlobals, withStore } from '../context.js';

/**
 * `idcopilot watch PATH...`: follow folders and files as logs arrive, keep the graph and incidents
 * current, and tell on-call (Slack, or printed) about new and escalated incidents.
 */
export function watchCommand(): Command {
  const names = registry.all.map((c) => c.name);
  return withGlobals(new Command('watch'))
    .description('follow folders and files as logs arrive (CloudTrail deliveries, growing NDJSON), keep incidents current and tell on-call')
    .argument('<paths...>', 'files or folders to follow (folders recursively, as CloudTrail delivers: AWSLogs/<account>/CloudTrail/...)')
    .addOption(new Option('--source <name>', 'format of every file, or auto to detect each').choices(['auto', ...names]).default('auto'))
    .addOption(new Option('--settle <ms>', 'a whole-document file must hold still this long before it is read').default(1000).argParser(Number))
    .addOption(new Option('--poll <ms>', 'rescan interval, beside file-system events').default(2000).argParser(Number))
    .addOption(new Option('--chunk <bytes>', 'NDJSON bytes committed per transaction').default(4 * 1024 * 1024).argParser(Number))
    .option('--from-end', 'NDJSON files seen for the first time are followed from their end (tail -f) instead of read from the start')
    .addOption(new Option('--notify <where>', 'announce new and escalated incidents: auto (Slack when configured, else print), print, none').choices(['auto', 'print', 'none']).default('auto'))
    .option('--no-engines', 'only load: no detections, incidents or notifications')
    .addOption(new Option('--risk-interval <s>', 'risk re-scores at most this often while data arrives (0: never)').default(60).argParser(Number))
    .option('--owner <person>', 'whose files these are, for formats that do not say (MCP client configs)')
    .option('--cluster <name>', 'the Kubernetes cluster of audit logs without cluster information')
    .option('--json', 'one JSON object per line on stdout: ready, commit, incident, notification, ...')
    .addHelpText('after', `
Each file's position is kept in the store (watch_checkpoints) and committed with the records read up to
it: stopped any way (even SIGKILL) and started again, watch loses nothing and repeats nothing. A file still
being written is read once it is complete: a document (JSON, gzipped or not) when its size and mtime hold
still and it parses to the end; NDJSON up to its last newline. SIGTERM or Ctrl-C stops it cleanly (the
file being read finishes its transaction first).

New and escalated incidents go to Slack when SLACK_WEBHOOK_URL (or SLACK_BOT_TOKEN with slack.channel) is
set, and are printed otherwise. Events can also arrive over HTTP: idcopilot serve --http HOST:PORT --watch DIR.`)
    .action(async (paths: string[], opts, cmd: Command) => {
      for (const [k, min] of [['settle', 0], ['poll', 100], ['chunk', 4096], ['riskInterval', 0]] as const) {
        if (!Number.isFinite(opts[k]) || opts[k] < min) usage(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a number of at least ${min}`);
      }
      const cfg = config(cmd);
      const json = Boolean(globals(cmd).json);
      const out = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
      const say = (s: string) => process.stderr.write(s + '\n');
      await withStore(cmd, async (db) => {
        const principal = localPrincipal('cli');
        const log = await AuditLog.open(db, { agentName: cfg.copilot.name, key: auditKeyFromEnv(), mirrorEvents: false });
        try {
          await ensureCopilotIdentity(db, cfg, { surface: 'cli', principals: [{ name: principal.name, kind: 'human', scopes: principal.scopes }] });
          // Recorded at the start: a process that runs for weeks, or is killed, still leaves its record.
          await log.append({
            principal: principal.name, transport: 'cli', kind: 'command', name: 'watch',
            args: { args: paths, options: { source: opts.source, settle: opts.settle, poll: opts.poll, chunk: opts.chunk, fromEnd: Boolean(opts.fromEnd), notify: opts.notify, engines: opts.engines } },
            durationMs: 0, outcome: 'ok',
          });
        } finally {
          await log.close();
        }
        const rt = await startRealtime(db, {
          config: cfg,
          engines: opts.engines,
          notify: opts.engines ? opts.notify : 'none',
          riskIntervalMs: opts.riskInterval * 1000,
          print: json ? (text) => out({ type: 'notification', text }) : (text) => process.stdout.write(`${text}\n`),
          watch: { paths, source: opts.source, settleMs: opts.settle, pollMs: opts.poll, chunkBytes: opts.chunk, fromEnd: Boolean(opts.fromEnd), owner: opts.owner, cluster: opts.cluster },
          onEvent: (e) => {
            if (json) return out(jsonEvent(e));
            const line = textEvent(e);
            if (line) say(line);
          },
        });
        const where = rt.notifyTarget ? `incidents to ${rt.notifyTarget}` : 'no notifications';
        if (json) out({ type: 'ready', paths, files: rt.files, engines: Boolean(opts.engines), notify: rt.notifyTarget, store: db.location });
        else say(`ready: watching ${paths.join(', ')} (${rt.files} file(s) found; ${opts.engines ? where : 'engines off'}; store ${db.location})`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        if (!json) say('stopping: finishing the file being read ...');
        await rt.stop();
        if (json) out({ type: 'stopped' });
        else say('stopped');
      }, { audit: false });
    });
}

function jsonEvent(e: RealtimeEvent | { type: 'watch'; event: WatchEvent }): Record<string, unknown> {
  if (e.type === 'watch') return { ...e.event, type: e.event.type === 'commit' ? 'commit' : `file-${e.event.type}` };
  if (e.type === 'incident') return { type: 'incident', ...e.change };
  if (e.type === 'engines') return { type: 'engines', ms: e.ms, alerts: e.run.alerts, stories: e.run.stories, changes: e.run.changes.length, detections: e.run.detections, late: e.run.late, timings: e.run.timings, error: e.run.error };
  return { ...e };
}

export function textEvent(e: RealtimeEvent | { type: 'watch'; event: WatchEvent }): string | null {
  if (e.type === 'watch') {
    const w = e.event;
    switch (w.type) {
      case 'commit': {
        const where = w.mode === 'ndjson' ? ` (bytes ${w.from}-${w.offset} of ${w.size})` : '';
        const rejects = w.rejects.map((r) => `\n    rejected ${r.line ? `line ${r.line}` : `record ${r.index}`}: ${r.reason}`).join('');
        return `+ ${w.path}${where}: ${w.records} record(s), ${w.loaded} loaded, ${w.rejected} rejected, ${w.newEvents} new event(s) [${w.format}, ${w.ms} ms]${rejects}`;
      }
      case 'waiting': return `… ${w.path}: waiting (${w.reason})`;
      case 'failed': return `! ${w.error}`;
      case 'restart': return `↺ ${w.path}: ${w.reason}`;
      case 'adopted': return `→ ${w.path}: continues ${w.from} from byte ${w.offset} (rotated)`;
      case 'error': return `! ${w.path}: ${w.error} (will retry)`;
    }
  }
  if (e.type === 'incident') {
    const c = e.change;
    const was = c.previousSeverity && c.change === 'escalated' ? ` (was ${c.previousSeverity})` : '';
    return `${c.change === 'opened' ? 'NEW' : c.change.toUpperCase()} ${c.severity}${was} ${c.id}: ${c.title} [${c.latencyMs} ms after arrival]`;
  }
  if (e.type === 'engines') return e.run.error ? `! engines: ${e.run.error} (the next commit retries)` : null;
  if (e.type === 'risk') return e.error ? `! risk scoring: ${e.error}` : null;
  return null;
}
