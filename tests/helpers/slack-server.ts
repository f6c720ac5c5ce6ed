import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server of the project's own that answers as Slack does, for the Slack channel's tests:
 * an incoming webhook (`POST /services/...`: 200 `ok`, or 400 with the error as plain text) and the Web
 * API's chat.postMessage (`POST /api/chat.postMessage`: 200 with `{ ok, error }` JSON, bearer token
 * checked). Replies are scripted one per request (then `ok`): `ok`, `429` with Retry-After, `500`,
 * `invalid_blocks`, `invalid_auth`, `channel_not_found`. Like Slack, it also refuses on its own
 * (`invalid_blocks`) a message that breaks Block Kit's limits, so that a test sees what Slack would.
 */
export type SlackReply =
  | 'ok'
  | { status: 429; retryAfter?: number }
  | { status: 500 | 502 | 503 }
  | 'invalid_blocks'
  | 'invalid_auth'
  | 'channel_not_found'
  | 'hang';

export interface RecordedRequest {
  path: string;
  kind: 'webhook' | 'api';
  at: number;
  authorization: string | null;
  body: any;
  reply: string;
}

export interface SlackServer {
  url: string;
  webhookUrl: string;
  apiUrl: string;
  token: string;
  requests: RecordedRequest[];
  /** Messages Slack accepted, in order. */
  accepted(): RecordedRequest[];
  /** Replies for the next requests, in order; afterwards every request gets `ok`. */
  script(...replies: SlackReply[]): void;
  close(): Promise<void>;
}

const WEBHOOK_PATH = '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';

/** Block Kit limits as Slack enforces them (the subset our messages use). */
export function slackRefuses(body: any): boolean {
  const blocks = body?.blocks;
  if (blocks === undefined) return typeof body?.text !== 'string' || body.text.length === 0;
  if (!Array.isArray(blocks) || blocks.length > 50) return true;
  for (const b of blocks) {
    if (b.type === 'header' && (b.text?.type !== 'plain_text' || b.text.text.length > 150)) return true;
    if (b.type === 'section') {
      if (!b.text && !b.fields) return true;
      if (b.text && (typeof b.text.text !== 'string' || b.text.text.length > 3000 || b.text.text.length === 0)) return true;
      if (b.fields && (b.fields.length > 10 || b.fields.some((f: any) => f.text.length > 2000))) return true;
    }
    if (b.type === 'context' && (b.elements.length > 10 || b.elements.some((e: any) => typeof e.text === 'string' && e.text.length > 3000))) return true;
    if (b.type === 'actions' && b.elements.some((e: any) => (e.text?.text?.length ?? 0) > 75 || (e.url?.length ?? 0) > 3000)) return true;
  }
  return false;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSlackServer(opts: { token?: string; channel?: string } = {}): Promise<SlackServer> {
  const token = opts.token ?? 'xoxb-test-0000000000-0000000000000-abcdefabcdefabcdefabcdef';
  const queue: SlackReply[] = [];
  const requests: RecordedRequest[] = [];
  let ts = 1_700_000_000;
  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const kind = req.url === WEBHOOK_PATH ? 'webhook' : req.url === '/api/chat.postMessage' ? 'api' : null;
    if (req.method !== 'POST' || !kind) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(kind === null ? 'no_service' : 'invalid_method');
      return;
    }
    let body: any = null;
    try {
      body = JSON.parse(raw);
    } catch {
      body = null;
    }
    const auth = typeof req.headers.authorization === 'string' ? req.headers.authorization : null;
    let reply: SlackReply = queue.shift() ?? 'ok';
    if (reply === 'ok') {
      if (kind === 'api' && auth !== `Bearer ${token}`) reply = 'invalid_auth';
      else if (kind === 'api' && opts.channel && body?.channel !== opts.channel) reply = 'channel_not_found';
      else if (body === null || slackRefuses(body)) reply = 'invalid_blocks';
    }
    const label = typeof reply === 'string' ? reply : String(reply.status);
    requests.push({ path: req.url!, kind, at: Date.now(), authorization: auth, body, reply: label });
    if (reply === 'hang') return; // never answers: the client's timeout must fire
    if (typeof reply === 'object') {
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (reply.status === 429 && reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
      res.writeHead(reply.status, headers).end(reply.status === 429 ? 'rate_limited' : 'internal_error');
      return;
    }
    if (kind === 'webhook') {
      const status = reply === 'ok' ? 200 : reply === 'invalid_auth' ? 403 : reply === 'channel_not_found' ? 404 : 400;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(reply === 'invalid_auth' ? 'invalid_token' : reply);
      return;
    }
    const json = reply === 'ok' ? { ok: true, channel: body.channel, ts: `${ts++}.000100`, message: { text: body.text } } : { ok: false, error: reply };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    webhookUrl: url + WEBHOOK_PATH,
    apiUrl: url + '/api',
    token,
    requests,
    accepted: () => requests.filter((r) => r.reply === 'ok'),
    script: (...replies) => void queue.push(...replies),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
