import { Command, Option } from 'commander';
import { createWriteStream, type WriteStream } from 'node:fs';
import cliProgress from 'cli-progress';
import { registry } from '../../connectors/index.js';
import { deriveAfterIngest } from '../../engines/derive.js';
import { ingestPaths } from '../../ingest/pipeline.js';
import type { IngestResult, RecordKind } from '../../model/index.js';
import { globals, printJson, table, withGlobals, withStore } from '../context.js';

export function ingestCommand(): Command {
  const names = registry.all.map((c) => c.name);
  return withGlobals(new Command('ingest'))
    .description('read exports and logs into the store (formats detected per file; folders walked recursively)')
    .argument('<paths...>', 'files or folders (CloudTrail as delivered: AWSLogs/<account>/CloudTrail/...)')
    .addOption(new Option('--source <name>', 'format of every file, or auto to detect each').choices(['auto', ...names]).default('auto'))
    .option('--strict', 'reject a whole file when any record in it is rejected')
    .option('--rejects <file>', 'write rejected records (file, index, line, reason) as NDJSON')
    .option('--owner <person>', 'whose files these are, for formats that do not say (MCP client configs)')
    .option('--cluster <name>', 'the Kubernetes cluster that RBAC manifests and audit logs without cluster information belong to')
    .option('--json', 'print the result as JSON: { files: [{ path, format, records, loaded, rejected, error }], totals }')
    .addHelpText('after', `\nFormats:\n${registry.all.map((c) => `  ${c.name.padEnd(24)} ${c.title}`).join('\n')}\n\nExit status: 0 when every named file loaded (rejected records are reported, not fatal);\n1 when a file could not be read, or any record was rejected under --strict.`)
    .action(async (paths: string[], opts, cmd: Command) => {
      const json = Boolean(globals(cmd).json);
      let rejectsOut: WriteStream | null = opts.rejects ? createWriteStream(opts.rejects) : null;
      const bar = !json && process.stderr.isTTY ? new cliProgress.SingleBar({ format: ' {bar} {value} records | {file}', hideCursor: true, clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
      let base = 0;
      bar?.start(0, 0, { file: '' });
      const result = await withStore(cmd, async (db) => {
        const r = await ingestPaths(db, paths, {
          source: opts.source,
          strict: opts.strict,
          owner: opts.owner,
          cluster: opts.cluster,
          onReject: (rej) => rejectsOut?.write(JSON.stringify(rej) + '\n'),
          onProgress: (p) => {
            if (!bar) return;
            if (p.done) base += p.records;
            const v = p.done ? base : base + p.records;
            bar.setTotal(Math.max(v, 1));
            bar.update(v, { file: p.path.length > 60 ? '…' + p.path.slice(-59) : p.path });
          },
        });
        if (r.totals.loaded > 0) await deriveAfterIngest(db);
        return r;
      });
      bar?.stop();
      if (rejectsOut) await new Promise<void>((res) => rejectsOut!.end(res));
      rejectsOut = null;
      if (json) printJson(result);
      else printIngest(result, opts.rejects);
      if (result.totals.failed > 0) process.exitCode = 1;
    });
}

function printIngest(r: IngestResult, rejectsFile?: string): void {
  const rows = r.files.map((f) => [
    f.error ? 'FAILED' : f.skipped ? 'skipped' : 'ok',
    f.path,
    f.format ?? '-',
    f.records,
    f.loaded,
    f.rejected,
  ]);
  if (rows.length <= 40) process.stdout.write(table(rows, ['', 'file', 'format', 'records', 'loaded', 'rejected']) + '\n');
  else {
    const byFormat = new Map<string, { files: number; records: number; loaded: number; rejected: number }>();
    for (const f of r.files) {
      const k = f.error ? 'FAILED' : f.skipped ? 'skipped' : f.format ?? '-';
      const a = byFormat.get(k) ?? { files: 0, records: 0, loaded: 0, rejected: 0 };
      a.files++; a.records += f.records; a.loaded += f.loaded; a.rejected += f.rejected;
      byFormat.set(k, a);
    }
    process.stdout.write(table([...byFormat].map(([k, a]) => [k, a.files, a.records, a.loaded, a.rejected]), ['format', 'files', 'records', 'loaded', 'rejected']) + '\n');
  }
  for (const f of r.files) {
    if (f.error) process.stderr.write(`error: ${f.error}\n`);
    if (f.skipped) process.stderr.write(`notice: ${f.path}: ${f.skipped}\n`);
  }
  const t = r.totals;
  process.stdout.write(`\n${t.files} files (${t.failed} failed, ${t.skipped} skipped): ${t.records} records, ${t.loaded} loaded, ${t.rejected} rejected\n`);
  const kinds = Object.entries(t.counts).sort((a, b) => b[1] - a[1]);
  if (kinds.length) process.stdout.write(`written: ${kinds.map(([k, n]) => `${n} ${KIND_WORDS[k as RecordKind]?.[n === 1 ? 0 : 1] ?? k}`).join(', ')}\n`);
  if (t.rejected > 0) process.stdout.write(rejectsFile ? `rejected records: ${rejectsFile}\n` : `rejected records were not saved; use --rejects FILE to keep them\n`);
}

/** Record kinds as people read them, singular and plural. */
const KIND_WORDS: Record<RecordKind, [string, string]> = {
  identity: ['identity', 'identities'], credential: ['credential', 'credentials'], edge: ['edge', 'edges'],
  policy: ['policy', 'policies'], entitlement: ['entitlement', 'entitlements'], event: ['event', 'events'],
  observation: ['observed hop', 'observed hops'], alert: ['alert', 'alerts'], resource: ['resource', 'resources'],
  ownerClaim: ['owner claim', 'owner claims'],
};
