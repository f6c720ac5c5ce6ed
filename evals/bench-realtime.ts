/**
 * npm run bench:realtime [-- --store pg|pglite --rate 5000 --seconds 60 --soak 0 --batch 1000 --clients 16
 *                          --identities 20000 --attack-every 5 --sample 10 --warmup 10 --keep --profile DIR]
 *
 * Real time under load, as deployed: the real `idcopilot serve --http` in its own process, a store with
 * a day of history (so the baselines have something to compare with), and a local Slack-like server
 * (tests/helpers/slack-server.ts) as SLACK_WEBHOOK_URL. This process posts CloudTrail NDJSON to
 * POST /ingest at a fixed offered rate (open loop: a request leaves on schedule whatever the previous
 * ones are doing, up to --clients in flight), and every --attack-every seconds one request carries an
 * attack by a new identity (a key minted for another user: a high-severity incident). It measures:
 *
 *   throughput        events committed per second (200 answers), offered vs achieved, 429s
 *   event-to-incident when the server recorded the incident (GET /ingest/status, server clock) minus
 *                     when the attack's request was sent
 *   event-to-Slack    when the Slack server received the card minus when the request was sent
 *   memory            the server's RSS and heap over time (status endpoint), and its slope in --soak
 *   CPU               the server process's user+system seconds (/proc), per 1,000 events
 *
 * Store: a PostgreSQL server (BENCH_DATABASE_URL, or a throwaway local one, fsync on) by default;
 * --store pglite for the embedded one. The machine's load average is printed beside every figure: on a
 * shared machine wall-clock latencies are noisy, CPU time less so.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createToken } from '../src/audit/index.js';
import { runDetections } from '../src/engines/detections/run.js';
import { ingestPaths } from '../src/ingest/pipeline.js';
import { Config } from '../src/model/index.js';
import { openStore } from '../src/store/index.js';
import { startSlackServer } from '../tests/helpers/slack-server.js';
import { startLocalPostgres, type LocalPostgres } from './lib/local-pg.js';
import { summary } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'pg' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '60' },
    soak: { type: 'string', default: '0' },
    batch: { type: 'string', default: '1000' },
    clients: { type: 'string', default: '16' },
    identities: { type: 'string', default: '20000' },

    'attack-every': { type: 'string', default: '5' },
    sample: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.soak) > 0 ? Number(args.soak) : Number(args.seconds);
const BATCH = Number(args.batch);
const CLIENTS = Number(args.clients);
const IDS = Number(args.identities);
/**
 * History per identity: this many seconds of its live rate, in one hour. A rate spike is an hour with
 * at least 10 x the mean of the identity's earlier hours: 1.5 x a tenth of the run keeps the run below it.
 */
const HISTORY_FACTOR = Math.max(10, 0.15 * (Number(args.soak) > 0 ? Number(args.soak) : Number(args.seconds)));
const ATTACK_EVERY = Number(args['attack-every']);
const SAMPLE_S = Number(args.sample);
const WARMUP_S = Number(args.warmup);
const ROOT = new URL('..', import.meta.url).pathname;
const ACCOUNT = '111122223333';
const RUN = Date.now().toString(36);

const la = () => loadavg().map((x) => Math.round(x * 10) / 10).join(' ');
const log = (s: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// ---- CloudTrail records from templates: a few microseconds each, so that the load generator stays light ----

const ACTIONS = [['iam.amazonaws.com', 'ListUsers'], ['iam.amazonaws.com', 'GetUser'], ['s3.amazonaws.com', 'ListBuckets'], ['ec2.amazonaws.com', 'DescribeInstances'], ['sts.amazonaws.com', 'GetCallerIdentity'], ['kms.amazonaws.com', 'ListKeys']] as const;
const identityJson: string[] = [];
const ipOf: string[] = [];
for (let i = 0; i < IDS; i++) {
  const user = `svc-${i}`;
  identityJson.push(JSON.stringify({ type: 'IAMUser', principalId: `AIDA${String(i).padStart(17, '0')}`, arn: `arn:aws:iam::${ACCOUNT}:user/${user}`, accountId: ACCOUNT, accessKeyId: `AKIA${String(i).padStart(16, '0')}`, userName: user }));
  ipOf.push(`10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 3)}`);
}
let seq = 0;

function record(i: number, timeIso: string, action: readonly [string, string], params = 'null', id = `${RUN}-${(seq++).toString(16).padStart(10, '0')}`): string {
  return `{"eventVersion":"1.09","userIdentity":${identityJson[i] ?? i},"eventTime":"${timeIso}","eventSource":"${action[0]}","eventName":"${action[1]}","awsRegion":"us-east-1","sourceIPAddress":"${ipOf[i] ?? '198.51.100.9'}","userAgent":"aws-sdk-go-v2/1.30.0 os/linux","requestParameters":${params},"responseElements":null,"requestID":"${id}","eventID":"${id}","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"${ACCOUNT}","eventCategory":"Management"}`;
}

/**
 * How busy each identity is: a few services make most of the calls (Zipf, s = 1, over --identities),
 * as in real estates. Each does its own few things from its own address.
 */
const weight: number[] = [];
const cumulative: number[] = [];
{
  let total = 0;
  for (let i = 0; i < IDS; i++) total += 1 / (i + 10);
  let acc = 0;
  for (let i = 0; i < IDS; i++) {
    weight.push(1 / (i + 10) / total);
    acc += weight[i];
    cumulative.push(acc);
  }
}
function pick(): number {
  const r = Math.random();
  let lo = 0;
  let hi = IDS - 1;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (cumulative[m] < r) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function benign(n: number, timeIso: string): string {
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const i = pick();
    out.push(record(i, timeIso, ACTIONS[i % ACTIONS.length]));
  }
  return out.join('\n');
}

function attackRecord(k: number, timeIso: string): { user: string; line: string } {
  const user = `intruder-${RUN}-${k}`;
  const ui = JSON.stringify({ type: 'IAMUser', principalId: `AIDAX${RUN}${k}`, arn: `arn:aws:iam::${ACCOUNT}:user/${user}`, accountId: ACCOUNT, accessKeyId: `AKIAX${String(k).padStart(15, '0')}`, userName: user });
  const id = `${RUN}-attack-${k}`;
  return {
    user,
    line: `{"eventVersion":"1.09","userIdentity":${ui},"eventTime":"${timeIso}","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.66","userAgent":"aws-cli/2.15.0","requestParameters":{"userName":"billing-admin-${k}"},"responseElements":null,"requestID":"${id}","eventID":"${id}","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"${ACCOUNT}","eventCategory":"Management"}`,
  };
}

// ---- the server process ----

function cpuSeconds(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'idc-bench-rt-'));
  let pgServer: LocalPostgres | null = null;
  let databaseUrl: string | null = null;
  const dataDir = join(work, 'store');
  if (args.store === 'pg') {
    databaseUrl = process.env.BENCH_DATABASE_URL ?? null;
    if (!databaseUrl) {
      pgServer = startLocalPostgres({ fsync: true });
      if (!pgServer) throw new Error('no PostgreSQL server binaries here: set BENCH_DATABASE_URL or use --store pglite');
      databaseUrl = pgServer.url;
    }
  }
  const slack = await startSlackServer();
  let child: ReturnType<typeof spawn> | null = null;
  try {
    // 1. History: yesterday, each identity did what it does today, at a rate that makes today's
    //    traffic ordinary to the baselines (no hour of this run reaches 10 x its mean hourly rate),
    //    and all of it within a day, so that only rates are judged: the benign stream raises no alerts
    //    and the planted attacks are the incidents. What is measured is the pipeline, not detection.
    const perIdentity = (i: number) => Math.max(1, Math.ceil(HISTORY_FACTOR * RATE * weight[i]));
    const historyTotal = Array.from({ length: IDS }, (_, i) => perIdentity(i)).reduce((a, b) => a + b, 0);
    log(`preparing the store (${args.store}): ${historyTotal} history events over ${IDS} identities; load ${la()}`);
    const db = await openStore(databaseUrl ? { databaseUrl } : { data: dataDir });
    const histFile = join(work, 'history.ndjson');
    // All within one clock hour: the baseline's mean is per active hour.
    const yesterday = Math.floor((Date.now() - 86_400_000) / 3_600_000) * 3_600_000;
    const lines: string[] = [];
    for (let i = 0; i < IDS; i++) {
      const n = perIdentity(i);
      for (let h = 0; h < n; h++) lines.push(record(i, new Date(yesterday + Math.floor((h / n) * 3_000_000)).toISOString().replace(/\.\d{3}Z$/, 'Z'), ACTIONS[i % ACTIONS.length]));
    }
    writeFileSync(histFile, lines.join('\n') + '\n');
    lines.length = 0;
    const t0 = performance.now();
    await ingestPaths(db, [histFile]);
    await runDetections(db, { config: Config.parse({}) });
    log(`history loaded and judged in ${Math.round(performance.now() - t0)} ms`);
    const { token } = await createToken(db, { principal: 'bench-shipper', kind: 'service_account', scopes: ['write:ingest'], createdBy: 'bench' });
    await db.close();

    // 2. The server, as an operator starts it.
    const port = 20000 + Math.floor(Math.random() * 20000);
    const env: NodeJS.ProcessEnv = { ...process.env, SLACK_WEBHOOK_URL: slack.webhookUrl };
    if (databaseUrl) env.DATABASE_URL = databaseUrl;
    else delete env.DATABASE_URL;
    const started = Date.now();
    const prof = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];
    child = spawn(process.execPath, [...prof, join(ROOT, 'bin/idcopilot.js'), 'serve', '--http', `127.0.0.1:${port}`, '--rate-limit', '0', ...(databaseUrl ? [] : ['--data', dataDir])], { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let serverErr = '';
    child.stderr!.on('data', (d: Buffer) => (serverErr += d.toString()));
    while (!/ingest: POST/.test(serverErr)) {
      if (child.exitCode !== null) throw new Error(`serve exited: ${serverErr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    log(`server ready in ${Date.now() - started} ms (pid ${child.pid}); load ${la()}`);
    const pid = child.pid!;
    const base = `http://127.0.0.1:${port}`;
    const status = async () => (await fetch(`${base}/ingest/status`, { headers: { authorization: `Bearer ${token}` } })).json();

    // 3. Load: open loop at RATE events/s in requests of BATCH events.
    const interval = (BATCH / RATE) * 1000;
    const attacks = new Map<string, { k: number; sentAt: number; incidentAt: number | null; slackAt: number | null }>();
    let inFlight = 0;
    let sent = 0;
    let committed = 0;
    let refused = 0;
    let failed = 0;
    let skipped = 0;
    const responseMs: number[] = [];
    const windows: { t: number; events: number; rss: number; heap: number; cpu: number | null; load: string; queue: number; lastBatchMs: number | null; engineMs: number | null }[] = [];
    const cpu0 = cpuSeconds(pid);
    const runStart = Date.now();
    const end = runStart + SECONDS * 1000;
    let nextAttack = runStart + 2000;
    let k = 0;

    const post = async (body: string, attack: string | null) => {
      inFlight++;
      const t = Date.now();
      if (attack) attacks.get(attack)!.sentAt = t;
      try {
        for (let attempt = 0; attempt < 5; attempt++) {
          const r = await fetch(`${base}/ingest`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' } });
          if (r.status === 429) {
            refused++;
            await r.arrayBuffer();
            await new Promise((res) => setTimeout(res, Number(r.headers.get('retry-after') ?? 1) * 1000));
            continue;
          }
          const b = (await r.json()) as { loaded?: number };
          if (r.status === 200) {
            committed += b.loaded ?? 0;
            responseMs.push(Date.now() - t);
          } else failed++;
          return;
        }
        failed++;
      } catch {
        failed++;
      } finally {
        inFlight--;
      }
    };

    // Pollers: incidents from the status endpoint, messages from the Slack server.
    let polling = true;
    const poller = (async () => {
      let nextSample = runStart + SAMPLE_S * 1000;
      while (polling) {
        try {
          const st = await status();
          for (const ch of st.incidents.recent as { rootIdentity: string; at: number; change: string }[]) {
            const m = /user\/(intruder-[^/]+)$/.exec(ch.rootIdentity);
            const a = m ? attacks.get(m[1]) : undefined;
            if (a && a.incidentAt === null && ch.change === 'opened') a.incidentAt = ch.at;
          }
          for (const msg of slack.accepted()) {
            const m = /(intruder-[a-z0-9]+-\d+)/.exec(String(msg.body?.text ?? ''));
            const a = m ? attacks.get(m[1]) : undefined;
            if (a && a.slackAt === null) a.slackAt = msg.at;
          }
          if (Date.now() >= nextSample) {
            nextSample += SAMPLE_S * 1000;
            windows.push({ t: Math.round((Date.now() - runStart) / 1000), events: committed, rss: st.memory.rssMb, heap: st.memory.heapUsedMb, cpu: cpuSeconds(pid), load: la(), queue: st.queue.items, lastBatchMs: st.ingest.lastBatchMs, engineMs: st.engines.lastRunMs });
            const w = windows[windows.length - 1];
            const prev = windows[windows.length - 2];
            log(`t=${w.t}s committed ${w.events} (${prev ? Math.round((w.events - prev.events) / SAMPLE_S) : Math.round(w.events / SAMPLE_S)}/s) rss ${w.rss} MB heap ${w.heap} MB queue ${w.queue} batch ${w.lastBatchMs} ms engines ${w.engineMs} ms inflight ${inFlight} 429s ${refused}; load ${w.load}`);
          }
        } catch {
          /* the next poll */
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const pending = new Set<Promise<void>>();
    for (let next = runStart; next < end; next += interval) {
      const wait = next - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (inFlight >= CLIENTS) {
        skipped += BATCH;
        continue;
      }
      const now = new Date();
      const iso = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
      let body = benign(BATCH, iso);
      let attack: string | null = null;
      if (Date.now() >= nextAttack) {
        nextAttack += ATTACK_EVERY * 1000;
        const a = attackRecord(k++, iso);
        attack = a.user;
        attacks.set(a.user, { k, sentAt: Date.now(), incidentAt: null, slackAt: null });
        body = `${body}\n${a.line}`;
      }
      sent += BATCH;
      const p = post(body + '\n', attack);
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await Promise.all(pending);
    const loadEnd = Date.now();
    // Let the last attacks through the engines and to Slack.
    const grace = Date.now() + 20_000;
    while (Date.now() < grace && [...attacks.values()].some((a) => a.incidentAt === null || a.slackAt === null)) await new Promise((r) => setTimeout(r, 200));
    polling = false;
    await poller;
    const cpu1 = cpuSeconds(pid);
    const final = await status();

    // 4. Figures.
    const after = (ms: number) => ms >= runStart + WARMUP_S * 1000;
    const all = [...attacks.values()];
    const measured = all.filter((a) => after(a.sentAt));
    const incidentLat = measured.filter((a) => a.incidentAt !== null).map((a) => a.incidentAt! - a.sentAt);
    const slackLat = measured.filter((a) => a.slackAt !== null).map((a) => a.slackAt! - a.sentAt);
    const seconds = (loadEnd - runStart) / 1000;
    const rssAfterWarmup = windows.filter((w) => w.t >= WARMUP_S + 30);
    const slope = rssAfterWarmup.length >= 2 ? (rssAfterWarmup[rssAfterWarmup.length - 1].rss - rssAfterWarmup[0].rss) / ((rssAfterWarmup[rssAfterWarmup.length - 1].t - rssAfterWarmup[0].t) / 60) : null;
    const result = {
      store: args.store, offeredRate: RATE, batch: BATCH, clients: CLIENTS, seconds: Math.round(seconds), identities: IDS, history: historyTotal,
      events: { offered: sent + skipped, sent, committed, skippedClientsBusy: skipped, achievedRate: Math.round(committed / seconds), refused429: refused, failedRequests: failed },
      requestMs: summary(responseMs),
      attacks: { planted: all.length, measured: measured.length, incidents: incidentLat.length, slack: slackLat.length },
      eventToIncidentMs: summary(incidentLat),
      eventToSlackMs: summary(slackLat),
      serverCpuSeconds: cpu0 !== null && cpu1 !== null ? Math.round((cpu1 - cpu0) * 10) / 10 : null,
      cpuMsPer1000Events: cpu0 !== null && cpu1 !== null && committed ? Math.round(((cpu1 - cpu0) * 1e6) / committed) : null,
      memory: { samples: windows.map((w) => ({ t: w.t, rssMb: w.rss, heapMb: w.heap })), rssSlopeMbPerMin: slope === null ? null : Math.round(slope * 10) / 10 },
      server: { engines: final.engines, ingest: final.ingest, incidents: { opened: final.incidents.opened, escalated: final.incidents.escalated }, notify: final.notify, risk: final.risk },
      slackMessages: slack.accepted().length,
      loadAverage: { end: la(), samples: windows.map((w) => w.load) },
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    log(`achieved ${result.events.achievedRate} events/s of ${RATE} offered; event-to-incident p95 ${result.eventToIncidentMs.p95} ms, event-to-Slack p95 ${result.eventToSlackMs.p95} ms; server CPU ${result.serverCpuSeconds} s (${result.cpuMsPer1000Events} ms per 1,000 events); RSS slope ${result.memory.rssSlopeMbPerMin} MB/min; load ${la()}`);
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => { child!.once('exit', r); setTimeout(r, 30_000); });
    }
    await slack.close();
    if (args.keep) log(`kept ${work}${pgServer ? ` and the PostgreSQL server at ${pgServer.url}` : ''}`);
    else {
      pgServer?.stop();
      rmSync(work, { recursive: true, force: true });
    }
  }
}

await main();
