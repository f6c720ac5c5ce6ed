import { Command } from 'commander';
import { lookup } from '../../engines/inventory.js';
import { CONTRACT_VERSION, type LookupResult } from '../../model/index.js';
import { globals, printJson, table, withGlobals, withStore } from '../context.js';

export function lookupCommand(): Command {
  return withGlobals(new Command('lookup'))
    .description('find identities by id, name, email, key id or tag (case-insensitive), then by semantic similarity')
    .argument('<query>', 'an id, ARN, name, email, access key id, tag value or description')
    .option('--limit <n>', 'at most this many results (max 100)', (v) => Number(v), 20)
    .option('--json', 'print { identities: [...] }')
    .action(async (query: string, opts, cmd: Command) => {
      const json = Boolean(globals(cmd).json);
      const { hits, notice } = await withStore(cmd, (db) => lookup(db, query, { limit: opts.limit }));
      if (json) {
        const out: LookupResult = {
          contractVersion: CONTRACT_VERSION,
          query,
          identities: hits.map((h) => ({ ...h.identity, match: h.match, score: h.score, owner: h.owner })),
        };
        printJson(out);
        return;
      }
      if (hits.length === 0) {
        process.stdout.write(`no identity matches "${query}"\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(table(hits.map((h) => [h.match, h.score, h.identity.kind, h.identity.name, h.identity.id, h.identity.environment, h.identity.status, h.owner ?? '-']), ['match', 'score', 'kind', 'name', 'id', 'env', 'status', 'owner']) + '\n');
      if (notice) process.stderr.write(`notice: ${notice}\n`);
    });
}
