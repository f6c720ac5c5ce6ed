import { CopilotError } from '../lib/errors.js';
import { SlackClient, checkSlackUrl, type SlackTarget } from '../channels/slack/client.js';
import { planNotifications, queuePlanned } from '../channels/slack/notify.js';
import { deliver } from '../channels/slack/outbox.js';
import { linkSigner, DEFAULT_LINK_TTL_MS } from '../channels/links.js';
import type { Config, Severity, TriageResult } from '../model/index.js';
import type { Db } from '../store/index.js';

/**
 * Telling on-call: the incidents a run correlated are planned by the Slack channel's rules (new,
 * escalated in severity, reopened; at or above slack.minSeverity), queued in its outbox in one
 * transaction with what each incident was announced as, then delivered by a loop of their own, so that
 * a slow or failing Slack never holds up ingest. Without Slack settings the same messages are printed,
 * through the same outbox (destination `stdout`), so that a restart never prints one twice.
 */
export type NotifyTarget = { kind: 'slack'; target: SlackTarget } | { kind: 'print'; write: (text: string) => void };

export interface NotifierOptions {
  target: NotifyTarget;
  minSeverity: Severity;
  webUrl?: string | null;
  linkTtlMs?: number;
}

export interface NotifierStats {
  target: string;
  planned: number;
  sent: number;
  failed: number;
  pending: number;
  lastError: string | null;
  /** Epoch ms of the last message out. */
  lastSentAt: number | null;
}

export const PRINT_DESTINATION = 'stdout';

/** Slack settings from the environment (secrets) and idcopilot.yaml (channel), or null for print. */
export function slackTargetFromEnv(cfg: Config, env: NodeJS.ProcessEnv = process.env): SlackTarget | null {
  if (env.SLACK_WEBHOOK_URL) {
    checkSlackUrl(env.SLACK_WEBHOOK_URL, 'SLACK_WEBHOOK_URL');
    return { kind: 'webhook', url: env.SLACK_WEBHOOK_URL };
  }
  if (env.SLACK_BOT_TOKEN) {
    if (!cfg.slack.channel) throw new CopilotError('E_CONFIG', 'SLACK_BOT_TOKEN needs a channel: slack.channel in idcopilot.yaml');
    const apiUrl = env.IDCOPILOT_SLACK_API_URL || undefined;
    if (apiUrl) checkSlackUrl(apiUrl, 'IDCOPILOT_SLACK_API_URL');
    return { kind: 'token', token: env.SLACK_BOT_TOKEN, channel: cfg.slack.channel, apiUrl };
  }
  return null;
}

export class Notifier {
  private readonly client: SlackClient | null;
  private running: Promise<void> | null = null;
  private again = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs = 2000;
  private stopped = false;
  readonly stats: NotifierStats;

  constructor(private readonly db: Db, private readonly opts: NotifierOptions) {
    this.client = opts.target.kind === 'slack'
      ? new SlackClient(opts.target.target, { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 5000, timeoutMs: 5000 })
      : null;
    this.stats = { target: this.destination, planned: 0, sent: 0, failed: 0, pending: 0, lastError: null, lastSentAt: null };
  }

  get destination(): string {
    return this.client ? this.client.destination : PRINT_DESTINATION;
  }

  /** Plan and queue the messages a run's incidents call for; delivery follows in the background. */
  async plan(triage: TriageResult): Promise<number> {
    const signer = this.opts.webUrl ? await linkSigner(this.db) : null;
    const planned = await planNotifications(this.db, triage, {
      minSeverity: this.opts.minSeverity, destination: this.destination, signer, webUrl: this.opts.webUrl ?? null,
      linkTtlMs: this.opts.linkTtlMs ?? DEFAULT_LINK_TTL_MS, digest: false,
    });
    if (!planned.length) return 0;
    const q = await queuePlanned(this.db, planned, this.destination);
    this.stats.planned += q.queued;
    if (q.queued) this.poke();
    return q.queued;
  }

  /** Deliver what is pending now (coalesced: a poke while delivering runs one more round after). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.round();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
  }

  private async round(): Promise<void> {
    try {
      if (!this.client) {
        await this.printPending();
        return;
      }
      const r = await deliver(this.db, this.client, { max: 200 });
      this.stats.sent += r.sent;
      this.stats.failed += r.rejected;
      this.stats.pending = r.pending;
      if (r.sent) this.stats.lastSentAt = Date.now();
      if (r.stopped) {
        this.stats.lastError = r.stopped;
        this.retryLater();
      } else {
        this.backoffMs = 2000;
        if (r.pending > 0) this.again = true;
      }
    } catch (err) {
      this.stats.lastError = (err as Error).message.split('\n')[0];
      this.retryLater();
    }
  }

  /** Slack is down or refusing: try again later, backing off to a minute; nothing is lost meanwhile. */
  private retryLater(): void {
    if (this.retryTimer || this.stopped) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(60_000, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.poke();
    }, wait);
    this.retryTimer.unref();
  }

  private async printPending(): Promise<void> {
    const target = this.opts.target as Extract<NotifyTarget, { kind: 'print' }>;
    for (;;) {
      const rows = await this.db.query<{ id: number; payload: { text?: string } | string }>(`
        UPDATE slack_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1
        WHERE id IN (SELECT id FROM slack_outbox WHERE status = 'pending' AND destination = $1 ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED)
        RETURNING id, payload`, [PRINT_DESTINATION]);
      if (!rows.length) return;
      for (const r of rows.sort((a, b) => Number(a.id) - Number(b.id))) {
        const payload = typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload;
        target.write(String(payload.text ?? ''));
      }
      this.stats.sent += rows.length;
      this.stats.lastSentAt = Date.now();
    }
  }

  /** Stop after what is being delivered now, waiting at most `ms`. */
  async stop(ms = 5000): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.running) await Promise.race([this.running, new Promise((r) => setTimeout(r, ms).unref())]);
  }
}
