import { Command } from 'commander';
import { createToken, DEFAULT_TOKEN_DAYS, listTokens, localPrincipal, MAX_TOKEN_DAYS, PrincipalKind, resolveScopes, revokeToken, rotateToken, type TokenInfo } from '../../audit/index.js';
import { globals, printJson, table, usage, withGlobals, withStore } from '../context.js';

/** `90d`, `12h`, `2w` -> days. */
function parseDays(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(h|d|w)?$/.exec(value.trim());
  if (!m) usage(`--expires expects a duration such as 30d, 12h or 2w, got "${value}"`);
  const n = Number(m![1]);
  const days = m![2] === 'h' ? n / 24 : m![2] === 'w' ? n * 7 : n;
  if (days <= 0 || days > MAX_TOKEN_DAYS) usage(`--expires must be more than 0 and at most ${MAX_TOKEN_DAYS} days`);
  return days;
}

function parseSeconds(value: string): number {
  const m = /^(\d+)\s*(s|m|h)?$/.exec(value.trim());
  if (!m) usage(`--grace expects a duration such as 10m or 1h, got "${value}"`);
  return Number(m![1]) * (m![2] === 'h' ? 3600 : m![2] === 'm' ? 60 : 1);
}

function printTokens(tokens: TokenInfo[]): void {
  if (tokens.length === 0) return void process.stdout.write('no tokens\n');
  process.stdout.write(table(tokens.map((t) => [t.id, t.principal, t.status, t.roles.join(',') || '-', t.scopes.join(' '), t.expiresAt.slice(0, 16), t.lastUsedAt?.slice(0, 16) ?? '-']),
    ['id', 'principal', 'status', 'roles', 'scopes', 'expires', 'last used']) + '\n');
}

function showNew(token: string, info: TokenInfo, json: boolean): void {
  if (json) return printJson({ token, ...info });
  process.stderr.write(`Token for ${info.principal} (${info.scopes.join(' ')}), expires ${info.expiresAt}. It is shown once and stored only as a hash:\n`);
  process.stdout.write(token + '\n');
}

export function tokenCommand(): Command {
  const token = withGlobals(new Command('token')).description('bearer tokens for the HTTP MCP server: create, list, revoke, rotate (stored hashed; every token expires)');
  token.addCommand(withGlobals(new Command('create'))
    .description('create a token for a principal with role presets and/or scopes; prints the token once')
    .requiredOption('--principal <name>', 'who holds it: a short name (alice, soar-bot), not an email')
    .option('--role <roles>', 'analyst, oncall, ciso, ingest, admin, or scopes; comma-separated')
    .option('--scope <scopes...>', 'extra scopes (read:inventory read:graph read:risk read:incidents read:briefing write:incidents write:ingest admin:audit admin:tokens)')
    .option('--kind <kind>', `the principal's kind: ${PrincipalKind.options.join(', ')}`, 'human')
    .option('--expires <duration>', `lifetime (default ${DEFAULT_TOKEN_DAYS}d, at most ${MAX_TOKEN_DAYS}d)`, `${DEFAULT_TOKEN_DAYS}d`)
    .option('--note <text>', 'what it is for', '')
    .option('--json', 'print { token, id, principal, scopes, expiresAt, ... }')
    .action(async (opts, cmd: Command) => {
      let scopes;
      try {
        scopes = resolveScopes([...(opts.role ? [opts.role] : []), ...(opts.scope ?? [])]);
      } catch (err) {
        usage((err as Error).message);
      }
      if (scopes!.scopes.length === 0) usage('give --role and/or --scope: a token without scopes can do nothing');
      const kind = PrincipalKind.safeParse(opts.kind);
      if (!kind.success) usage(`--kind must be one of ${PrincipalKind.options.join(', ')}`);
      const days = parseDays(opts.expires);
      let secret = '';
      const info = await withStore(cmd, async (db) => {
        const r = await createToken(db, { principal: opts.principal, kind: kind.data, scopes: scopes!.scopes, roles: scopes!.roles, expiresInDays: days, createdBy: localPrincipal('cli').name, note: opts.note });
        secret = r.token;
        return r.info;
      });
      showNew(secret, info, Boolean(globals(cmd).json));
    }));
  token.addCommand(withGlobals(new Command('list'))
    .description('list tokens (never their secrets)')
    .option('--all', 'include revoked and expired tokens')
    .option('--json', 'print { tokens: [...] }')
    .action(async (opts, cmd: Command) => {
      const tokens = await withStore(cmd, (db) => listTokens(db, { all: opts.all }));
      if (globals(cmd).json) printJson({ tokens });
      else printTokens(tokens);
    }));
  token.addCommand(withGlobals(new Command('revoke'))
    .description('revoke a token at once')
    .argument('<id>', 'the token id (idcopilot token list)')
    .option('--reason <text>', 'why', 'revoked by an operator')
    .option('--json', 'print the token record')
    .action(async (id: string, opts, cmd: Command) => {
      const info = await withStore(cmd, (db) => revokeToken(db, id, opts.reason));
      if (globals(cmd).json) printJson(info);
      else process.stdout.write(`revoked ${info.id} (${info.principal})\n`);
    }));
  token.addCommand(withGlobals(new Command('rotate'))
    .description('issue a new token with the same principal, scopes and lifetime, and revoke the old one (now, or after --grace)')
    .argument('<id>', 'the token id')
    .option('--grace <duration>', 'keep the old token valid this long (e.g. 10m) so clients can switch', '0')
    .option('--json', 'print { token, ..., old }')
    .action(async (id: string, opts, cmd: Command) => {
      let secret = '';
      const r = await withStore(cmd, async (db) => {
        const out = await rotateToken(db, id, localPrincipal('cli').name, { graceSeconds: parseSeconds(opts.grace) });
        secret = out.token;
        return { info: out.info, old: out.old };
      });
      if (globals(cmd).json) return printJson({ token: secret, ...r.info, old: r.old });
      process.stderr.write(`${id} is revoked${r.old.revokedAt && r.old.revokedAt > new Date().toISOString() ? ` from ${r.old.revokedAt}` : ''}.\n`);
      showNew(secret, r.info, false);
    }));
  for (const c of token.commands) c.exitOverride();
  return token;
}
