import { Command } from 'commander';
import { ensureIdentityEmbeddings } from '../../engines/embeddings/index.js';
import { globals, printJson, withGlobals, withStore } from '../context.js';

export function indexCommand(): Command {
  return withGlobals(new Command('index'))
    .description('compute the embeddings that semantic search uses (a background step, never part of ingest)')
    .option('--json', 'print counts as JSON')
    .action(async (_opts, cmd: Command) => {
      const r = await withStore(cmd, async (db) => {
        let written = 0;
        for (;;) {
          const step = await ensureIdentityEmbeddings(db, undefined, 10_000);
          written += step.written;
          if (step.remaining === 0 || step.written === 0) return { written, remaining: step.remaining };
        }
      });
      if (globals(cmd).json) printJson(r);
      else process.stdout.write(`embedded ${r.written} identities; ${r.remaining} remaining\n`);
    });
}
