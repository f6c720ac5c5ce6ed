/**
 * Parse throughput of the GitHub, GCP and Kubernetes log connectors on synthetic logs built from the
 * fixtures (each event repeated with a fresh id): `npx tsx tests/connectors/github/bench-log-parsers.ts [events]`.
 * Not a test: it prints events/s and MB/s per connector.
 */
import { writeFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connector } from '../../../src/connectors/contract.js';
import { connector as githubAudit } from '../../../src/connectors/github-audit-log/index.js';
import { connector as gcpAudit } from '../../../src/connectors/gcp-audit-log/index.js';
import { connector as k8sAudit } from '../../../src/connectors/k8s-audit-log/index.js';
import { openSourceFile } from '../../../src/connectors/shared/source-file.js';
import { fixtureText } from './harness.js';

const N = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'idc-bench-'));

function ndjson(name: string, templates: Record<string, unknown>[], withId: (e: Record<string, unknown>, i: number) => void): string {
  const path = join(dir, name);
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    const e = structuredClone(templates[i % templates.length]);
    withId(e, i);
    lines.push(JSON.stringify(e));
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

async function run(name: string, connector: Connector, path: string): Promise<void> {
  const file = await openSourceFile(path);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let items = 0;
  let rejects = 0;
  for await (const batch of connector.parse(file, { now: new Date(), cluster: 'bench' })) {
    items += batch.length;
    for (const i of batch) if (i.reject) rejects++;
  }
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  // CPU time as well as wall time: on a shared machine the wall clock mostly measures the neighbours.
  const cpu = (c.user + c.system) / 1e6;
  const mb = statSync(path).size / 1e6;
  console.log(`${name.padEnd(18)} ${items} events (${rejects} rejected), ${mb.toFixed(0)} MB: wall ${s.toFixed(2)} s (${Math.round(items / s).toLocaleString('en')} events/s, ${(mb / s).toFixed(1)} MB/s); CPU ${cpu.toFixed(2)} s (${Math.round(items / cpu).toLocaleString('en')} events/CPU-s)`);
}

const gh = JSON.parse(fixtureText('github', 'audit-log.json')).slice(0, 5);
const gcp = JSON.parse(fixtureText('gcp', 'audit-log.json')).slice(0, 6);
const k8s = fixtureText('k8s', 'kube-apiserver-audit.jsonl').split('\n').slice(0, 4).map((l) => JSON.parse(l));

try {
  await run('github-audit-log', githubAudit, ndjson('gh.ndjson', gh, (e, i) => { e._document_id = `doc${i}`; }));
  await run('gcp-audit-log', gcpAudit, ndjson('gcp.ndjson', gcp, (e, i) => { e.insertId = `ins${i}`; }));
  await run('k8s-audit-log', k8sAudit, ndjson('k8s.ndjson', k8s, (e, i) => { e.auditID = `aud-${i}`; }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
