/**
 * npm run bench:mcp [-- --store pg|pglite --identities N --clients C --seconds S --warmup S --rate R]
 *
 * The MCP server under load, as deployed: bulk-loads a synthetic estate (default 100,000 identities, about
 * five edges each), starts the real server (express app, bearer tokens, the tool registry, the audit log
 * with its canonical events) on loopback, and runs C concurrent clients (default 16, one token and one
 * session each) calling get_identity and trace_delegation on random identities for S seconds (default
 * 60) over Streamable HTTP. The clients run in a worker thread, so that the load generator does not
 * share the server's event loop. Each client sends its next call when the last one is answered, or, with
 * --rate R, R calls per second (paced, as an agent that thinks between calls would). Prints latency
 * percentiles per tool, throughput, errors, the audit records written and the time to verify them. Targets (issue 6): p50 get_identity <= 5 ms, p50 trace_delegation
 * <= 30 ms, no errors. Store: a PostgreSQL server (BENCH_DATABASE_URL, or a throwaway local one) by
 * default; --store pglite for the embedded one.
 */
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createToken, TokenVerifier, verifyAudit } from '../src/audit/index.js';
import { fingerprint } from '../src/lib/secrets.js';
import { createCopilotApp, listen, startRuntime } from '../src/mcp/index.js';
import { Config, RECORD_SCHEMAS, type CanonicalRecord } from '../src/model/index.js';
import { BulkWriter, openStore, type Db } from '../src/store/index.js';
import { benchPostgres, type LocalPostgres } from './lib/local-pg.js';
import { summary, withPeakRss } from './lib/stats.js';
import { mulberry32 as rng } from './lib/rng.js';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'pg' },
    identities: { type: 'string', default: '100000' },
    clients: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    rate: { type: 'string', default: '0' },
  },
});

const acct = (i: number) => String(100000000000 + (i % 100));
const id = {
  human: (i: number) => `hr:employee:E${i}`,
  sa: (i: number) => `arn:aws:iam::${acct(i)}:user/svc-${i}`,
  key: (i: number) => `aws:access-key:AKIA${String(i).padStart(16, '0')}`,
  role: (i: number) => `arn:aws:iam::${acct(i)}:role/app-${i}`,
  wl: (i: number) => `k8s:serviceaccount:c${i % 20}/ns${i % 10}/wl-${i}`,
  bucket: (i: number) => `arn:aws:s3:::data-${i}`,
};

/** People, service accounts with keys, roles that chain and reach buckets, workloads running as accounts. */
function* estate(n: number): Generator<CanonicalRecord[]> {
  const r = rng(7);
  const humans = Math.max(10, Math.floor(n * 0.02));
  const sas = Math.floor(n * 0.2);
  const keys = Math.floor(n * 0.3);
  const roles = Math.floor(n * 0.3);
  const wls = n - humans - sas - keys - roles;
  const buckets = Math.max(50, Math.floor(n / 100));
  const pick = (m: number) => Math.floor(r() * m);
  let chunk: CanonicalRecord[] = [];
  for (let i = 0; i < buckets; i++) chunk.push({ kind: 'resource', value: { id: id.bucket(i), provider: 'aws', type: 's3:bucket', name: `data-${i}`, account: acct(i), classification: i % 10 ? 'internal' : 'restricted' } });
  for (let g = 0; g < n; g++) {
    if (g < humans) {
      chunk.push({ kind: 'identity', value: { id: id.human(g), kind: 'human', provider: 'hr', name: `person ${g}`, email: `p${g}@example.com`, status: 'active' } });
    } else if (g < humans + sas) {
      const i = g - humans;
      chunk.push({ kind: 'identity', value: { id: id.sa(i), kind: 'service_account', provider: 'aws', name: `svc-${i}`, account: acct(i), environment: i % 3 ? 'prod' : 'dev', tags: { team: `t${i % 40}` } } });
      chunk.push({ kind: 'edge', value: { from: id.human(pick(humans)), to: id.sa(i), kind: 'owns' } });
      chunk.push({ kind: 'edge', value: { from: id.sa(i), to: id.role(pick(roles)), kind: 'can_assume' } });
      chunk.push({ kind: 'edge', value: { from: id.human(pick(humans)), to: id.sa(i), kind: 'impersonates' } });
    } else if (g < humans + sas + keys) {
      const i = g - humans - sas;
      const owner = id.sa(i % sas);
      chunk.push({ kind: 'identity', value: { id: id.key(i), kind: 'api_key', provider: 'aws', name: `key-${i}`, account: acct(i % sas) } });
      chunk.push({ kind: 'credential', value: { id: id.key(i), identityId: owner, type: 'access_key', fingerprint: fingerprint(id.key(i)), createdAt: '2025-01-01T00:00:00Z', status: 'active' } });
      chunk.push({ kind: 'edge', value: { from: owner, to: id.key(i), kind: 'owns_credential' } });
      chunk.push({ kind: 'edge', value: { from: id.key(i), to: owner, kind: 'authenticates_as' } });
    } else if (g < humans + sas + keys + roles) {
      const i = g - humans - sas - keys;
      chunk.push({ kind: 'identity', value: { id: id.role(i), kind: 'role', provider: 'aws', name: `app-${i}`, account: acct(i) } });
      chunk.push({ kind: 'entitlement', value: { id: `ent:r${i}`, identityId: id.role(i), effect: 'Allow', actions: ['s3:GetObject'], resources: [`${id.bucket(pick(buckets))}/*`], privilege: i % 50 ? 'read' : 'admin', sourcePolicy: `p:${i % 300}` } });
      for (let k = 0; k < 2; k++) chunk.push({ kind: 'edge', value: { from: id.role(i), to: id.bucket(pick(buckets)), kind: 'can_access' } });
      if (r() < 0.4) chunk.push({ kind: 'edge', value: { from: id.role(i), to: id.role(pick(roles)), kind: 'can_assume' } });
      if (r() < 0.2) chunk.push({ kind: 'edge', value: { from: id.sa(pick(sas)), to: id.role(i), kind: 'assumed', potential: false, observed: true, firstSeen: '2026-11-01T00:00:00Z', lastSeen: '2026-11-07T00:00:00Z', count: 1 + pick(40) } });
    } else {
      const i = g - humans - sas - keys - roles;
      chunk.push({ kind: 'identity', value: { id: id.wl(i), kind: 'workload', provider: 'k8s', name: `wl-${i}` } });
      chunk.push({ kind: 'edge', value: { from: id.wl(i), to: id.sa(pick(sas)), kind: 'runs_as' } });
      chunk.push({ kind: 'edge', value: { from: id.wl(i), to: id.role(pick(roles)), kind: 'federates_to' } });
    }
    if (chunk.length >= 40_000) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

async function load(db: Db, n: number): Promise<{ identities: number; edges: number; seconds: number }> {
  const t0 = performance.now();
  for (const chunk of estate(n)) {
    await db.transaction(async (tx) => {
      const w = new BulkWriter(tx);
      for (const rec of chunk) w.add({ kind: rec.kind, value: (RECORD_SCHEMAS[rec.kind] as any).parse(rec.value) } as never);
      await w.flush();
    });
  }
  await db.exec('ANALYZE');
  const [c] = await db.query<{ i: number; e: number }>('SELECT (SELECT count(*) FROM identities)::int AS i, (SELECT count(*) FROM edges)::int AS e');
  return { identities: c.i, edges: c.e, seconds: Math.round((performance.now() - t0) / 100) / 10 };
}

interface Session {
  token: string;
  session: string;
  nextId: number;
}

const HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };

async function open(url: string, token: string): Promise<Session> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...HEADERS, Authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench-mcp', version: '1' } } }),
  });
  if (res.status !== 200) throw new Error(`initialize: HTTP ${res.status} ${await res.text()}`);
  await res.text();
  const session = res.headers.get('mcp-session-id')!;
  const ack = await fetch(url, { method: 'POST', headers: { ...HEADERS, Authorization: `Bearer ${token}`, 'mcp-session-id': session }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await ack.text();
  return { token, session, nextId: 1 };
}

/** One tools/call; the latency is the client's (request sent to answer parsed). */
async function call(url: string, s: Session, name: string, a: Record<string, unknown>): Promise<{ ms: number; ok: boolean; error?: string }> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...HEADERS, Authorization: `Bearer ${s.token}`, 'mcp-session-id': s.session },
    body: JSON.stringify({ jsonrpc: '2.0', id: s.nextId++, method: 'tools/call', params: { name, arguments: a } }),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) return { ms, ok: false, error: `HTTP ${res.status}` };
  const body = JSON.parse(text);
  if (body.error) return { ms, ok: false, error: body.error.message };
  if (body.result?.isError) return { ms, ok: false, error: String(body.result.content?.[0]?.text ?? '').split('\n').slice(-2, -1)[0] };
  return { ms, ok: true };
}

async function main() {
  const n = Number(args.identities);
  const clients = Number(args.clients);
  const seconds = Number(args.seconds);
  const warmup = Number(args.warmup);
  let server: LocalPostgres | null = null;
  let db: Db;
  if (args.store === 'pglite') db = await openStore({ data: ':memory:' });
  else {
    server = benchPostgres();
    if (!server) throw new Error('no PostgreSQL server: set BENCH_DATABASE_URL, install postgresql, or use --store pglite');
    db = await openStore({ databaseUrl: server.url });
  }
  try {
    const { value: report, peakRssMb } = await withPeakRss(async () => {
      process.stderr.write(`[${args.store}] loading ${n} identities ...\n`);
      const loaded = await load(db, n);
      process.stderr.write(`[${args.store}] loaded ${loaded.identities} identities, ${loaded.edges} edges in ${loaded.seconds} s\n`);
      const sample = (await db.query<{ id: string }>(`SELECT id FROM identities WHERE kind IN ('role', 'service_account', 'api_key', 'workload') ORDER BY md5(id) LIMIT 5000`)).map((r) => r.id);
      const tokens: string[] = [];
      for (let i = 0; i < clients; i++) tokens.push((await createToken(db, { principal: `bench-${i}`, kind: 'bot', scopes: ['read:inventory', 'read:graph'], createdBy: 'bench' })).token);
      const rt = await startRuntime(db, Config.parse({}), { surface: 'bench' });
      for (const note of rt.notices) process.stderr.write(`notice: ${note}\n`);
      // The per-token limiter stays in the request path, set far above what the clients send.
      const { app, close } = createCopilotApp({ runtime: rt, verifier: new TokenVerifier(db), host: '127.0.0.1', rateLimitPerMinute: 10_000_000 });
      const http = await listen(app, '127.0.0.1', 0);
      process.stderr.write(`[${args.store}] ${clients} clients${Number(args.rate) ? ` at ${args.rate} calls/s each` : ' (closed loop)'} for ${seconds} s after ${warmup} s of warm-up ...\n`);
      const auditBefore = { n: 0 };
      const out = await new Promise<LoadResult>((resolve, reject) => {
        // Workers do not inherit `--import tsx`: the worker registers tsx, then loads this file.
        const boot = `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}); register(); await import(${JSON.stringify(import.meta.url)});`;
        const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: { url: http.url, tokens, sample, seconds, warmup, rate: Number(args.rate) } satisfies LoadJob });
        w.on('message', (m: LoadResult | { type: 'measuring' }) => {
          if ('type' in m) void db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log').then(([c]) => (auditBefore.n = c.n));
          else resolve(m);
        });
        w.once('error', reject);
      });
      const { lat, errors } = out;
      const elapsed = out.elapsedS;
      await close();
      await http.close();
      await rt.close();
      const [audit] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
      // What the audit log says each call took inside the server (tool, bounds, fencing), for comparison
      // with what the clients saw (plus HTTP, the MCP transport, the audit write and queueing).
      const inside = await db.query<{ name: string; d: number }>(`SELECT name, duration_ms AS d FROM audit_log WHERE kind = 'tool' AND principal LIKE 'bench-%' ORDER BY time DESC LIMIT 200000`);
      const insideBy = (name: string) => summary(inside.filter((r) => r.name === name).map((r) => Number(r.d)));
      const v0 = performance.now();
      const verified = await verifyAudit(db);
      const verifyS = Math.round((performance.now() - v0) / 100) / 10;
      const calls = lat.get_identity.length + lat.trace_delegation.length;
      return {
        store: args.store,
        estate: loaded,
        clients,
        seconds: Math.round(elapsed * 10) / 10,
        mode: Number(args.rate) ? `${args.rate} calls/s per client` : 'closed loop',
        calls,
        callsPerSecond: Math.round(calls / elapsed),
        get_identity: summary(lat.get_identity),
        trace_delegation: summary(lat.trace_delegation),
        insideServer: { get_identity: insideBy('get_identity'), trace_delegation: insideBy('trace_delegation') },
        errors,
        audit: { recordsDuringRun: audit.n - auditBefore.n, total: audit.n, verified: verified.ok, verifySeconds: verifyS },
      };
    });
    const targets = {
      'p50 get_identity <= 5 ms': report.get_identity.p50 <= 5,
      'p50 trace_delegation <= 30 ms': report.trace_delegation.p50 <= 30,
      'no errors': Object.keys(report.errors).length === 0,
    };
    process.stdout.write(JSON.stringify({ ...report, peakRssMb, targets }, null, 2) + '\n');
    if (!Object.values(targets).every(Boolean)) process.exitCode = 1;
  } finally {
    await db.close();
    server?.stop();
  }
}

interface LoadJob {
  url: string;
  tokens: string[];
  sample: string[];
  seconds: number;
  warmup: number;
  rate: number;
}

interface LoadResult {
  lat: Record<string, number[]>;
  errors: Record<string, number>;
  elapsedS: number;
}

/** The clients (worker thread): one session per token, alternating the two tools on random identities. */
async function load16(job: LoadJob): Promise<LoadResult> {
  const sessions = await Promise.all(job.tokens.map((t) => open(job.url, t)));
  const lat: Record<string, number[]> = { get_identity: [], trace_delegation: [] };
  const errors: Record<string, number> = {};
  const r = rng(11);
  const start = Date.now();
  const measureFrom = start + job.warmup * 1000;
  const stopAt = measureFrom + job.seconds * 1000;
  const gap = job.rate > 0 ? 1000 / job.rate : 0;
  setTimeout(() => parentPort!.postMessage({ type: 'measuring' }), job.warmup * 1000);
  await Promise.all(sessions.map(async (s, k) => {
    let i = k;
    let next = Date.now() + (gap ? r() * gap : 0);
    while (Date.now() < stopAt) {
      if (gap) {
        const wait = next - Date.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        next += gap;
      }
      const target = job.sample[Math.floor(r() * job.sample.length)];
      const tool = i++ % 2 === 0 ? 'get_identity' : 'trace_delegation';
      const sent = Date.now();
      const res = await call(job.url, s, tool, { id: target });
      if (sent < measureFrom) continue;
      if (res.ok) lat[tool].push(res.ms);
      else errors[`${tool}: ${res.error}`] = (errors[`${tool}: ${res.error}`] ?? 0) + 1;
    }
  }));
  return { lat, errors, elapsedS: (Math.min(Date.now(), stopAt + 1) - measureFrom) / 1000 };
}

if (isMainThread) await main();
else parentPort!.postMessage(await load16(workerData as LoadJob));
