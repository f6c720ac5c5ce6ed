import { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { auditKeyFromEnv, exportAudit, parseSince, readExport, verifyAudit, verifyRecords, type AuditVerification } from '../../audit/index.js';
import { globals, printJson, usage, withGlobals, withStore } from '../context.js';

function printVerification(v: AuditVerification): void {
  if (v.ok) {
    process.stdout.write(`ok: ${v.records} records from ${v.writers} writer(s); the chain is intact\n`);
  } else {
    process.stdout.write(`FAILED: ${v.problems.length} problem(s) in ${v.records} records from ${v.writers} writer(s)\n`);
    for (const p of v.problems) process.stdout.write(`  ${p.problem.padEnd(14)} ${p.ref}${p.name ? ` (${p.name}${p.time ? `, ${p.time}` : ''})` : ''}: ${p.detail}\n`);
  }
  if (v.head) process.stdout.write(`head: ${v.head.ref}:${v.head.hash} (${v.head.time}); keep it elsewhere and check later with --expect-head\n`);
}

export function auditCommand(): Command {
  const audit = withGlobals(new Command('audit')).description('the copilot\'s own audit log: verify the hash chain, export it');
  audit.addCommand(withGlobals(new Command('verify'))
    .description('check every record\'s hash and the chain; name any changed, deleted or reordered record (exit 1 if any)')
    .option('--expect-head <ref:hash>', 'a head printed by an earlier verify: it must still be in the log (catches a cut tail)')
    .option('--file <export.ndjson>', 'verify an export instead of the store')
    .option('--json', 'print { ok, records, writers, head, problems: [{ ref, problem, detail, time, name }] }')
    .action(async (opts, cmd: Command) => {
      let key;
      try {
        key = auditKeyFromEnv();
      } catch (err) {
        usage((err as Error).message);
      }
      const v = opts.file
        ? await verifyRecords(await readExport(opts.file), { key, expectHead: opts.expectHead })
        : await withStore(cmd, (db) => verifyAudit(db, { key, expectHead: opts.expectHead }));
      if (globals(cmd).json) printJson(v);
      else printVerification(v);
      if (!v.ok) process.exitCode = 1;
    }));
  audit.addCommand(withGlobals(new Command('export'))
    .description('write the audit log as NDJSON, one record per line in time order, exactly as hashed (verifiable with audit verify --file)')
    .option('--since <time>', 'from this time (ISO-8601) or this long ago (30m, 24h, 7d)')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (opts, cmd: Command) => {
      let since: Date | null = null;
      if (opts.since) {
        try {
          since = parseSince(opts.since);
        } catch (err) {
          usage((err as Error).message);
        }
      }
      const out = opts.out ? createWriteStream(opts.out) : process.stdout;
      const count = await withStore(cmd, async (db) => {
        let n = 0;
        for await (const r of exportAudit(db, { since })) {
          if (!out.write(JSON.stringify(r) + '\n')) await once(out, 'drain');
          n++;
        }
        return { records: n, since: since?.toISOString() ?? null };
      });
      if (opts.out) {
        await new Promise<void>((resolve) => (out as ReturnType<typeof createWriteStream>).end(resolve));
        process.stderr.write(`wrote ${count.records} records to ${opts.out}\n`);
      }
    }));
  for (const c of audit.commands) c.exitOverride();
  return audit;
}
