import { Command, Option } from 'commander';
import { loadSuppressions, sinceFrom } from '../../engines/correlate/index.js';
import { fingerprint } from '../../lib/secrets.js';
import { parseDuration } from '../../lib/time.js';
import { Severity } from '../../model/index.js';
import { DEFAULT_LINK_TTL_MS, linkSigner, MAX_LINK_TTL_MS } from '../../channels/links.js';
import { triageForChannels } from '../../channels/incidents.js';
import { checkSlackUrl, SlackClient, type SlackTarget } from '../../channels/slack/client.js';
import { planNotifications, queuePlanned } from '../../channels/slack/notify.js';
import { deliver, outboxCounts } from '../../channels/slack/outbox.js';
import { config, globals, printJson, usage, withGlobals, withStore } from '../context.js';

/**
 * `idcopilot notify slack`: triage, then one Block Kit card per new or escalated incident and an on-call
 * digest, through the outbox (queued first, posted after; what Slack does not take now, the next run
 * posts). Secrets come from the environment; a webhook URL or token given as a flag is replaced by its
 * fingerprint before the command's audit record is written.
 */
export function notifyCommand(): Command {
  const notify = new Command('notify').description('tell people about incidents: Slack cards for the on-call engineer (notify slack)');
  notify.addCommand(slackCommand());
  return notify;
}

function slackCommand(): Command {
  return withGlobals(new Command('slack'))
    .description('post one Block Kit message per new or escalated incident (what is happening, do now, owner, confidence, a link to the web view) and an on-call digest')
    .option('--webhook <url>', 'an incoming-webhook URL (default: SLACK_WEBHOOK_URL)')
    .option('--token <token>', 'a bot token (discouraged: it shows in the process list and shell history; set SLACK_BOT_TOKEN instead)')
    .option('--channel <id>', 'the channel to post to with a bot token (default: slack.channel in idcopilot.yaml)')
    .option('--since <duration|time>', 'only alerts from this far back from the latest event (24h, 7d) or since this time')
    .addOption(new Option('--min-severity <severity>', 'announce incidents at or above this severity (default: slack.minSeverity, high)').choices(Severity.options))
    .option('--top <n>', 'incidents triage assesses in full (1-100)', (v) => Number(v), 50)
    .option('--no-digest', 'post no on-call digest')
    .option('--web-url <url>', 'base URL of the web view for links (default: slack.webUrl)')
    .option('--link-ttl <duration>', 'how long links in messages stay valid (e.g. 12h, 7d; at most 30d)', '7d')
    .option('--dry-run', 'print the messages as JSON on stdout and change nothing (needs no Slack settings)')
    .option('--suppressions <file>', 'suppression rules (default ./idcopilot.suppressions.yaml when present)')
    .option('--json', 'print the delivery report as JSON')
    .addHelpText('after', `
Settings: SLACK_WEBHOOK_URL (an incoming webhook), or SLACK_BOT_TOKEN with --channel (or slack.channel).
Flags override the environment. A message is queued before it is posted: when Slack is down or rate
limits, what was not posted stays queued and the next run posts it. An incident is announced again only
when its severity rises or it reopens. Run it after each ingest, e.g. from cron:

  idcopilot ingest ./exports && idcopilot notify slack --since 24h`)
    .action(async (opts, cmd: Command) => {
      const g = globals(cmd);
      const cfg = config(cmd);
      if (!Number.isInteger(opts.top) || opts.top < 1 || opts.top > 100) usage('--top must be an integer from 1 to 100');
      let ttl: number;
      try {
        ttl = parseDuration(opts.linkTtl);
      } catch (err) {
        usage(`--link-ttl: ${(err as Error).message}`);
      }
      if (ttl! > MAX_LINK_TTL_MS) usage('--link-ttl: links last at most 30 days');
      const webUrl: string | null = opts.webUrl ?? cfg.slack.webUrl;
      if (webUrl && !/^https?:\/\//.test(webUrl)) usage('--web-url must be an http(s) URL');
      const minSeverity = (opts.minSeverity ?? cfg.slack.minSeverity) as Severity;
      const target = opts.dryRun ? null : resolveTarget(opts, cfg.slack.channel);
      // The audit record of this command lists its options: a secret given as a flag goes in as its fingerprint.
      for (const k of ['webhook', 'token'] as const) if (opts[k]) cmd.setOptionValue(k, fingerprint(opts[k]));
      const sup = loadSuppressions(opts.suppressions);
      const say = (s: string) => process.stderr.write(s + '\n');

      const out = await withStore(cmd, async (db) => {
        const since = await sinceFrom(db, opts.since, undefined);
        const triage = await triageForChannels(db, cfg, { top: opts.top, since, suppressions: sup.active, persist: !opts.dryRun, detect: !opts.dryRun });
        const signer = webUrl ? await linkSigner(db) : null;
        const destination = target ? (target.kind === 'webhook' ? 'webhook' : target.channel) : 'dry-run';
        const planned = await planNotifications(db, triage, { minSeverity, destination, signer, webUrl, linkTtlMs: ttl ?? DEFAULT_LINK_TTL_MS, digest: opts.digest });
        if (!target) {
          return { dryRun: true as const, asOf: triage.asOf, minSeverity, pending: (await outboxCounts(db)).pending ?? 0, notices: triage.notices, messages: planned.map((p) => ({
            kind: p.kind, incident: p.incidentId, announcement: p.announcement, severity: p.severity, previousSeverity: p.previousSeverity, dedupeKey: p.dedupeKey,
            text: p.message.text, blocks: p.message.blocks,
          })) };
        }
        const queued = await queuePlanned(db, planned, destination);
        const client = new SlackClient(target, { onRetry: (r) => say(`slack: ${r.why}; retrying in ${(r.waitMs / 1000).toFixed(1)} s (attempt ${r.attempt + 1})`) });
        const report = await deliver(db, client);
        return { dryRun: false as const, asOf: triage.asOf, minSeverity, destination, planned: planned.length, ...queued, ...report, notices: triage.notices };
      });

      if (out.dryRun) return printJson(out);
      if (g.json) printJson(out);
      else {
        process.stdout.write(`As of ${out.asOf}: ${out.planned} message(s) planned (${out.queued} queued, ${out.alreadyQueued} already queued before); ` +
          `sent ${out.sent}${out.plainText ? ` (${out.plainText} as plain text after Slack refused the blocks)` : ''}, rejected ${out.rejected}, still queued ${out.pending}.\n`);
        for (const e of out.errors) process.stdout.write(`  message ${e.id} (${e.dedupeKey}): ${e.error}\n`);
        for (const n of out.notices) process.stdout.write(`note: ${n}\n`);
      }
      if (out.stopped) {
        say(`error: ${out.stopped}`);
        process.exitCode = 1;
      }
    });
}

function resolveTarget(opts: { webhook?: string; token?: string; channel?: string }, configChannel: string | null): SlackTarget {
  const env = process.env;
  const apiUrl = env.IDCOPILOT_SLACK_API_URL || undefined;
  const check = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      usage((err as Error).message);
    }
  };
  if (opts.webhook && opts.token) usage('give --webhook or --token, not both');
  if (opts.webhook) {
    check(() => checkSlackUrl(opts.webhook!, '--webhook'));
    return { kind: 'webhook', url: opts.webhook };
  }
  const token = opts.token ?? env.SLACK_BOT_TOKEN;
  const channel = opts.channel ?? configChannel;
  if (token && channel) {
    if (apiUrl) check(() => checkSlackUrl(apiUrl, 'IDCOPILOT_SLACK_API_URL'));
    return { kind: 'token', token, channel, apiUrl };
  }
  if (opts.token && !channel) usage('--token needs --channel (or slack.channel in idcopilot.yaml)');
  if (env.SLACK_WEBHOOK_URL) {
    check(() => checkSlackUrl(env.SLACK_WEBHOOK_URL!, 'SLACK_WEBHOOK_URL'));
    return { kind: 'webhook', url: env.SLACK_WEBHOOK_URL };
  }
  if (token) usage('SLACK_BOT_TOKEN needs a channel: --channel C0123456789 or slack.channel in idcopilot.yaml');
  usage('no Slack settings: set SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN with --channel (or use --dry-run to see the messages)');
}
