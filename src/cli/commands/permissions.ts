import { Command } from 'commander';
import { effectivePermissions, evaluate, type EffectivePermissions, type EvaluationOutput, type EvaluationResult } from '../../engines/permissions/index.js';
import { CONTRACT_VERSION } from '../../model/index.js';
import { globals, printJson, table, usage, withGlobals, withStore } from '../context.js';

export function permissionsCommand(): Command {
  return withGlobals(new Command('permissions'))
    .description('what an identity can do: effective permissions by service and privilege, or one request evaluated (Allow, Deny, boundary, SCPs, conditions)')
    .argument('<id>', 'identity id (an IAM user or role ARN; other providers are summarised from their entitlements)')
    .option('--action <action>', 'evaluate one request: the action (service:Action)')
    .option('--resource <arn>', 'the resource of the request (default *)')
    .option('--context <key=value...>', 'condition keys the store cannot know (aws:MultiFactorAuthPresent=true, iam:PassedToService=ec2.amazonaws.com, aws:SourceIp=10.1.2.3); repeat for more', collect, [])
    .option('--json', 'print { contractVersion, decision, conditional, matched: [{ policy, statement, sid, effect, via }] } for --action, else { principal, admin, privilege, services: [...], byPrivilege }')
    .action(async (id: string, opts, cmd: Command) => {
      if (opts.resource && !opts.action) usage('--resource needs --action');
      const context = parseContext(opts.context as string[]);
      const json = Boolean(globals(cmd).json);
      if (opts.action) {
        const r = await withStore(cmd, (db) => evaluate(db, id, opts.action, opts.resource ?? '*', context));
        if (json) return printJson({ contractVersion: CONTRACT_VERSION, ...r } satisfies EvaluationOutput);
        process.stdout.write(renderDecision(r));
        process.exitCode = r.decision === 'allow' ? 0 : 1;
        return;
      }
      const r = await withStore(cmd, (db) => effectivePermissions(db, id));
      if (json) return printJson(r);
      process.stdout.write(renderEffective(r));
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseContext(pairs: string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) usage(`--context ${p}: expected key=value`);
    const key = p.slice(0, eq);
    const value = p.slice(eq + 1);
    const prev = out[key];
    out[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  return out;
}

export function renderDecision(r: EvaluationResult): string {
  const out = [`${r.principal}\n  ${r.action} on ${r.resource}: ${r.decision.toUpperCase()}${r.conditional ? ' (conditional: depends on facts the store does not hold)' : ''}`];
  for (const reason of r.reasons) out.push(`  because ${reason}`);
  if (r.crossAccount) out.push('  cross-account: the resource owner\'s policy must allow it too');
  for (const m of r.matched) out.push(`  ${m.effect.padEnd(5)} ${m.policy} statement ${m.statement}${m.sid ? ` (${m.sid})` : ''} via ${m.via}${m.viaId ? ` ${m.viaId}` : ''}${m.conditional ? ' [conditional]' : ''}`);
  if (r.unknownKeys.length) out.push(`  unknown condition keys: ${r.unknownKeys.join(', ')} (give them with --context key=value)`);
  if (r.unknownPolicies.length) out.push(`  policies without a document in the store: ${r.unknownPolicies.join(', ')}`);
  return out.join('\n') + '\n';
}

export function renderEffective(r: EffectivePermissions): string {
  const out = [`${r.principal}: ${r.admin ? 'ADMINISTRATOR' : `highest privilege ${r.privilege ?? 'none'}`}`];
  const counts = Object.entries(r.byPrivilege).map(([k, v]) => `${v} ${k}`).join(', ');
  if (counts) out.push(`actions by privilege: ${counts}`);
  if (r.services.length) {
    out.push('', table(r.services.slice(0, 40).map((s) => [s.service, s.privilege, s.allowed, s.total, s.onAllResources, s.conditional, s.sample.slice(0, 3).join(' ')]), ['service', 'privilege', 'allowed', 'of', 'on *', 'conditional', 'e.g.']));
    if (r.services.length > 40) out.push(`... and ${r.services.length - 40} more services (--json for all)`);
  }
  if (r.boundary) out.push(`permissions boundary: ${r.boundary.join(', ')}`);
  if (r.scps) out.push(`service control policies: ${r.scps.join(', ')}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n') + '\n';
}
