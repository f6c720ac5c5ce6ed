import { CopilotError } from '../../lib/errors.js';
import { isLoopback } from '../../mcp/http/listen.js';
import type { SlackMessage } from './limits.js';

/**
 * Posting to Slack, through an incoming webhook or the Web API's chat.postMessage with a bot token.
 * 429 waits what Retry-After says; 5xx and network failures back off exponentially (with jitter); a
 * message Slack refuses for its content comes back as `content` so that the caller can retry it once as
 * plain text; a refused token or channel comes back as `config` (nothing further will get through).
 * The webhook URL and the token never appear in a result or an error.
 */
export type SlackTarget =
  | { kind: 'webhook'; url: string }
  | { kind: 'token'; token: string; channel: string; apiUrl?: string };

export type PostResult =
  | { ok: true; ts: string | null; channel: string | null; attempts: number }
  | { ok: false; error: string; reason: 'content' | 'config' | 'unavailable'; attempts: number; retryAfterS?: number };

export interface ClientOptions {
  /** Attempts per message within one run (default 5). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After beyond this ends the run's attempts; the message waits in the outbox (default 120 s). */
  maxRetryAfterMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  onRetry?: (info: { attempt: number; waitMs: number; why: string }) => void;
}

export const DEFAULT_SLACK_API = 'https://slack.com/api';

/** Errors about the message itself: worth one retry without blocks. */
const CONTENT_ERRORS = new Set(['invalid_blocks', 'invalid_blocks_format', 'invalid_attachments', 'msg_too_long', 'too_many_attachments', 'no_text', 'invalid_payload']);
/** Errors Slack states will not go away by retrying. */
const CONFIG_ERRORS = new Set([
  'invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'channel_not_found', 'not_in_channel',
  'is_archived', 'channel_is_archived', 'no_service', 'invalid_token', 'action_prohibited', 'posting_to_general_channel_denied',
  'missing_scope', 'restricted_action', 'team_disabled', 'no_team', 'user_not_found', 'invalid_url',
]);

/** Refuse a webhook or API URL that would send messages (and the token) in clear beyond this machine. */
export function checkSlackUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CopilotError('E_CONFIG', `${what} is not a URL`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(host))) {
    throw new CopilotError('E_CONFIG', `${what} must be https:// (plain http only to this machine, for tests)`);
  }
  return url;
}

export class SlackClient {
  private readonly o: Required<Omit<ClientOptions, 'onRetry' | 'fetch'>> & Pick<ClientOptions, 'onRetry' | 'fetch'>;

  constructor(readonly target: SlackTarget, opts: ClientOptions = {}) {
    if (target.kind === 'webhook') checkSlackUrl(target.url, 'the Slack webhook URL');
    else checkSlackUrl(target.apiUrl ?? DEFAULT_SLACK_API, 'the Slack API URL');
    this.o = {
      maxAttempts: opts.maxAttempts ?? 5,
      baseDelayMs: opts.baseDelayMs ?? 1000,
      maxDelayMs: opts.maxDelayMs ?? 30_000,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 120_000,
      timeoutMs: opts.timeoutMs ?? 10_000,
      sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      fetch: opts.fetch,
      onRetry: opts.onRetry,
    };
  }

  /** 'webhook' or the channel: what the outbox records as the destination. */
  get destination(): string {
    return this.target.kind === 'webhook' ? 'webhook' : this.target.channel;
  }

  async post(msg: SlackMessage): Promise<PostResult> {
    let attempt = 0;
    for (;;) {
      attempt++;
      const r = await this.once(msg);
      if (r.ok || r.reason !== 'unavailable') return { ...r, attempts: attempt };
      if (attempt >= this.o.maxAttempts) return { ...r, attempts: attempt };
      let waitMs: number;
      if (r.retryAfterS !== undefined) {
        waitMs = r.retryAfterS * 1000;
        if (waitMs > this.o.maxRetryAfterMs) return { ...r, error: `${r.error} (Slack asks to wait ${r.retryAfterS} s)`, attempts: attempt };
      } else {
        const cap = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1));
        waitMs = Math.round(cap / 2 + Math.random() * (cap / 2));
      }
      this.o.onRetry?.({ attempt, waitMs, why: r.error });
      await this.o.sleep(waitMs);
    }
  }

  private async once(msg: SlackMessage): Promise<Omit<Extract<PostResult, { ok: true }>, 'attempts'> | Omit<Extract<PostResult, { ok: false }>, 'attempts'>> {
    const f = this.o.fetch ?? fetch;
    const t = this.target;
    const body = t.kind === 'webhook'
      ? { text: msg.text, ...(msg.blocks.length ? { blocks: msg.blocks } : {}), unfurl_links: false, unfurl_media: false }
      : { channel: t.channel, text: msg.text, ...(msg.blocks.length ? { blocks: msg.blocks } : {}), unfurl_links: false, unfurl_media: false };
    const url = t.kind === 'webhook' ? t.url : `${(t.apiUrl ?? DEFAULT_SLACK_API).replace(/\/+$/, '')}/chat.postMessage`;
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (t.kind === 'token') headers.authorization = `Bearer ${t.token}`;
    let res: Response;
    try {
      res = await f(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(this.o.timeoutMs), redirect: 'error' });
    } catch (err) {
      // The error text of a failed fetch can carry the URL: keep only its kind.
      const e = err as Error & { cause?: { code?: string } };
      return { ok: false, error: `network: ${e.name === 'TimeoutError' ? 'timed out' : e.cause?.code ?? e.name}`, reason: 'unavailable' };
    }
    const text = await res.text().catch(() => '');
    if (res.status === 429) {
      const ra = Number(res.headers.get('retry-after'));
      return { ok: false, error: 'rate_limited', reason: 'unavailable', retryAfterS: Number.isFinite(ra) && ra >= 0 ? ra : undefined };
    }
    if (res.status >= 500) return { ok: false, error: `http ${res.status}`, reason: 'unavailable' };
    if (t.kind === 'webhook') {
      if (res.status === 200) return { ok: true, ts: null, channel: null };
      return classify(text.trim().slice(0, 100) || `http ${res.status}`, res.status);
    }
    let json: { ok?: boolean; error?: string; ts?: string; channel?: string };
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, error: `http ${res.status}: not a Slack API answer`, reason: res.status >= 400 ? 'config' : 'unavailable' };
    }
    if (json.ok) return { ok: true, ts: json.ts ?? null, channel: json.channel ?? null };
    return classify(String(json.error ?? `http ${res.status}`), res.status);
  }
}

function classify(error: string, status: number): { ok: false; error: string; reason: 'content' | 'config' | 'unavailable' } {
  const code = /^[a-z_]+$/.test(error) ? error : error.replace(/[^\w .:-]/g, '').slice(0, 80);
  if (CONTENT_ERRORS.has(code)) return { ok: false, error: code, reason: 'content' };
  if (CONFIG_ERRORS.has(code) || status === 401 || status === 403 || status === 404 || status === 410) return { ok: false, error: code, reason: 'config' };
  if (['ratelimited', 'rate_limited', 'fatal_error', 'internal_error', 'service_unavailable', 'request_timeout'].includes(code)) return { ok: false, error: code, reason: 'unavailable' };
  // An unknown 400 is about the message more often than not.
  return { ok: false, error: code, reason: status === 400 ? 'content' : 'config' };
}
