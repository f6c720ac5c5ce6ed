import { Command } from 'commander';
import { globals, printJson, usage, withGlobals } from '../context.js';

export function generateCommand(): Command {
  return withGlobals(new Command('generate'))
    .description('write a synthetic estate of any size in the real vendor formats, plus ground-truth.json for evals')
    .requiredOption('--out <dir>', 'output folder')
    .option('--employees <n>', 'number of employees', (v) => Number(v), 200)
    .option('--seed <s>', 'seed: the same seed writes the same bytes', (v) => Number(v), 1)
    .option('--ratio <n>', 'machine identities per human', (v) => Number(v), 45)
    .option('--days <n>', 'days of CloudTrail activity', (v) => Number(v))
    .option('--events-per-day <n>', 'CloudTrail events per day (default scales with the estate)', (v) => Number(v))
    .option('--json', 'print the summary as JSON')
    .action(async (opts, cmd: Command) => {
      if (!Number.isInteger(opts.employees) || opts.employees < 1) usage('--employees must be a positive integer');
      if (!Number.isFinite(opts.seed)) usage('--seed must be a number');
      const { generateEstate } = await import('../../generator/index.js');
      const started = performance.now();
      const summary = await generateEstate({ employees: opts.employees, seed: opts.seed, ratio: opts.ratio, out: opts.out, days: opts.days, eventsPerDay: opts.eventsPerDay });
      const seconds = (performance.now() - started) / 1000;
      if (globals(cmd).json) printJson({ ...summary, seconds });
      else process.stdout.write(`wrote ${opts.out} in ${seconds.toFixed(1)} s\n${JSON.stringify(summary, null, 2)}\n`);
    });
}
