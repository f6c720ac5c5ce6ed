import { Command, CommanderError } from 'commander';
import { CopilotError } from '../lib/errors.js';
import { withGlobals } from './context.js';
import { demoCommand } from './commands/demo.js';
import { detectCommand } from './commands/detect.js';
import { doctorCommand } from './commands/doctor.js';
import { generateCommand } from './commands/generate.js';
import { indexCommand } from './commands/index-embeddings.js';
import { ingestCommand } from './commands/ingest.js';
import { lookupCommand } from './commands/lookup.js';
import { permissionsCommand } from './commands/permissions.js';
import { privescCommand } from './commands/privesc.js';
import { riskCommand } from './commands/risk.js';
import { traceCommand } from './commands/trace.js';
import { serveCommand } from './commands/serve.js';
import { tokenCommand } from './commands/token.js';
import { auditCommand } from './commands/audit.js';
import { triageCommand } from './commands/triage.js';
import { explainCommand } from './commands/explain.js';
import { incidentCommand } from './commands/incident.js';
import { notifyCommand } from './commands/notify.js';
import { briefCommand } from './commands/brief.js';
import { watchCommand } from './commands/watch.js';

/** Exit statuses: 0 ok, 1 a failure the output explains, 2 bad usage, 3 the store is in use. */
const EXIT = { failure: 1, usage: 2, locked: 3 } as const;

export function buildProgram(): Command {
  const program = withGlobals(new Command('idcopilot'))
    .description('identity-copilot: who did this, through which identities, with what access, and what needs action now')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `
Storage: the embedded store (PGlite) in --data DIR (default ./.idcopilot) unless DATABASE_URL names a
PostgreSQL server. Configuration: idcopilot.yaml (--config FILE); secrets only from the environment.

Start with:  idcopilot demo`);
  for (const make of [ingestCommand, lookupCommand, doctorCommand, traceCommand, demoCommand, generateCommand, indexCommand, riskCommand, detectCommand, permissionsCommand, privescCommand, serveCommand, tokenCommand, auditCommand, triageCommand, explainCommand, incidentCommand, notifyCommand, briefCommand, watchCommand]) program.addCommand(make());
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
      return;
    }
    if (err instanceof CopilotError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = err.code === 'E_USAGE' ? EXIT.usage : err.code === 'E_STORE_LOCKED' ? EXIT.locked : EXIT.failure;
      return;
    }
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = EXIT.failure;
  }
}

await main(process.argv);
