import { randomUUID } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import type { Express, Request, RequestHandler, Response } from 'express';
import { audited, type RouteKit } from '../mcp/index.js';
import { hasScope, type Scope } from '../audit/index.js';
import { forbidden, type RequestCaller } from '../mcp/http/auth.js';
import type { RealtimeService } from './service.js';

/**
 * `POST /ingest` on `serve --http`: NDJSON or a JSON array (or one object) of any format a connector
 * reads, EventBridge-shaped events included; `?source=NAME` skips detection. Bearer scope
 * `write:ingest`. The answer comes once the records are committed (200: durable; a retry is safe, since
 * events are idempotent by id), or at once with `Prefer: respond-async` (202: queued only).
 *
 * Back-pressure: room in the bounded queue is reserved before the body is read; a full queue answers
 * 429 with Retry-After (from the rate the queue drains) without reading it. Bodies are limited in size
 * (413), gzip (`Content-Encoding: gzip`) included, counted after decompression. Every authenticated
 * request that reaches the queue is audited, refusals for a full queue once per token and 10 seconds;
 * refusals before that (503 while stopping, 415, a Content-Length over the limit) answer at once.
 *
 * `GET /ingest/status` (same scope): queue, ingest, engines, incidents and latency, notifier, memory.
 */
export interface IngestRouteOptions {
  /** Largest body accepted, after decompression (default 16 MiB). */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

const ACCEPTED_TYPES = ['application/json', 'application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/json-seq', 'text/plain', 'application/octet-stream'];

class BodyError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function ingestRoutes(service: RealtimeService, opts: IngestRouteOptions = {}): (app: Express, kit: RouteKit) => void {
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  return (app, kit) => {
    exemptFromJsonParser(app, '/ingest');
    const refusedAt = new Map<string, number>();
    const caller = (res: Response) => res.locals.copilot as RequestCaller;

    const auditRefusal = (res: Response, status: number, reason: string) => {
      const c = caller(res);
      const last = refusedAt.get(c.principal.tokenId) ?? 0;
      if (Date.now() - last < 10_000) return;
      refusedAt.set(c.principal.tokenId, Date.now());
      void audited(kit.runtime, { principal: c.principal, client: c.client, kind: 'admin', name: 'http:ingest', args: { status, reason } },
        async () => ({ value: null, outcome: 'rate_limited' as const, error: reason })).catch(() => undefined);
    };

    // A missing scope is refused and audited, as the MCP endpoint's own denials are.
    const requireScope = (scope: Scope): RequestHandler => (req, res, next) => {
      const c = caller(res);
      if (hasScope(c.principal.scopes, scope)) return next();
      void audited(kit.runtime, { principal: c.principal, client: c.client, kind: 'admin', name: 'http:ingest', args: { method: req.method, path: req.path } },
        async () => ({ value: null, outcome: 'denied' as const, error: `missing scope ${scope}` })).catch(() => undefined);
      forbidden(res, scope);
    };

    const ingest: RequestHandler = async (req, res) => {
      if (service.stopping) {
        res.status(503).set('Retry-After', '5').json({ error: 'shutting down: send again to the next instance or in a few seconds' });
        return;
      }
      const type = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
      if (!ACCEPTED_TYPES.includes(type)) {
        res.status(415).json({ error: `Content-Type ${type} is not taken here: send application/json (an array or one object) or application/x-ndjson` });
        return;
      }
      const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (encoding !== 'identity' && encoding !== 'gzip') {
        res.status(415).json({ error: `Content-Encoding ${encoding} is not supported (identity or gzip)` });
        return;
      }
      const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : null;
      if (declared !== null && encoding === 'identity' && declared > maxBody) {
        res.status(413).set('Connection', 'close').json({ error: `request body of ${declared} bytes is over the limit of ${maxBody} bytes: send smaller batches` });
        return;
      }
      const reservation = service.reserve(declared !== null && encoding === 'identity' ? declared : maxBody);
      if (!reservation) {
        const wait = service.stopping ? 5 : service.retryAfterSeconds;
        auditRefusal(res, service.stopping ? 503 : 429, 'ingest queue full');
        res.status(service.stopping ? 503 : 429).set('Retry-After', String(wait)).set('Connection', 'close')
          .json({ error: service.stopping ? 'shutting down' : `the ingest queue is full: retry after ${wait} s`, retryAfterSeconds: wait });
        return;
      }
      const requestId = randomUUID().slice(0, 13);
      const source = typeof req.query.source === 'string' ? req.query.source : undefined;
      const async = /respond-async/i.test(String(req.headers.prefer ?? ''));
      const args = { requestId, contentType: type, encoding, declaredBytes: declared, source: source ?? 'auto', async };
      let text: string;
      try {
        text = await readBody(req, encoding === 'gzip', maxBody);
      } catch (err) {
        reservation.cancel();
        const status = err instanceof BodyError ? err.status : 400;
        await kit.audit(res, 'http:ingest', args, async () => {
          throw new Error(`${status}: ${(err as Error).message}`);
        }).catch(() => undefined);
        if (!res.headersSent) res.status(status).set('Connection', 'close').json({ error: (err as Error).message });
        return;
      }
      const work = service.submit(reservation, { label: `http:${requestId}`, text, source, receivedAt: Date.now() });
      const done = kit.audit(res, 'http:ingest', { ...args, bytes: Buffer.byteLength(text) }, async () => {
        const { outcome, batch } = await work;
        if (outcome.error) throw new BodyError(outcome.status, outcome.error);
        return { requestId, batch, formats: outcome.formats, records: outcome.records, loaded: outcome.loaded, rejected: outcome.rejected, rejects: outcome.rejects };
      });
      if (async) {
        done.catch(() => undefined);
        res.status(202).json({ requestId, queued: true });
        return;
      }
      try {
        const body = await done;
        res.status(200).json({ ...body, durable: true });
      } catch (err) {
        const status = err instanceof BodyError ? err.status : 500;
        res.status(status).json({ requestId, error: (err as Error).message });
      }
    };

    const status: RequestHandler = async (_req, res, next) => {
      try {
        const s = await kit.audit(res, 'http:ingest-status', {}, async () => service.status());
        res.json(s);
      } catch (err) {
        next(err);
      }
    };

    app.post('/ingest', kit.authenticate, requireScope('write:ingest'), ingest);
    app.get('/ingest/status', kit.authenticate, requireScope('write:ingest'), status);
  };
}

/** The body as text, decompressed, refused past `max` bytes (counted after decompression). */
async function readBody(req: Request, gzip: boolean, max: number): Promise<string> {
  // Parsed already (the JSON parser was not exempted: see exemptFromJsonParser): take it as it came.
  if (req.body !== undefined && req.readableEnded) return typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  const source: AsyncIterable<Buffer> = gzip ? req.pipe(createGunzip()) : req;
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > max) {
        req.unpipe();
        req.resume();
        throw new BodyError(413, `request body is over the limit of ${max} bytes${gzip ? ' (decompressed)' : ''}: send smaller batches`);
      }
      parts.push(chunk);
    }
  } catch (err) {
    if (err instanceof BodyError) throw err;
    throw new BodyError(400, gzip ? `the body is not valid gzip (${(err as Error).message})` : `the body could not be read (${(err as Error).message})`);
  }
  return Buffer.concat(parts, size).toString('utf8');
}

/**
 * The MCP SDK's app parses every application/json body up to 100 kB before any route runs. POST /ingest
 * takes megabytes and reads its own body, so the parser is told to let that path through. If the
 * parser is not where it is expected (an SDK change), small JSON bodies still arrive parsed and are
 * used as they are; the test suite sends a body over 100 kB to catch it.
 */
function exemptFromJsonParser(app: Express, path: string): void {
  const stack = (app as unknown as { router?: { stack?: { name?: string; handle: RequestHandler }[] } }).router?.stack ?? [];
  for (const layer of stack) {
    if (layer.name !== 'jsonParser') continue;
    const parse = layer.handle;
    layer.handle = ((req, res, next) => (req.path === path && req.method === 'POST' ? next() : parse(req, res, next))) as RequestHandler;
  }
}
