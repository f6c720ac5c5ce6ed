import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { AuditLog, createToken, ensureCopilotIdentity, TokenVerifier, verifyAudit } from '../../src/audit/index.js';
import { invokeTool, loadRegistry, type McpTool } from '../../src/mcp/index.js';
import { Config } from '../../src/model/index.js';
import { BulkWriter, openStore, type Db } from '../../src/store/index.js';
import { seed } from '../helpers/seed.js';
import { freshPgStore, pgUrl } from '../helpers/stores.js';

const url = pgUrl();
const ROLE = 'arn:aws:iam::111122223333:role/ci/deploy';

/**
 * On a PostgreSQL server the analysis side (serve, lookup, triage) connects as a login user in
 * idcopilot_analysis: it reads identity data, writes the copilot's own tables, and cannot write identity
 * data; ingestion connects as a user in idcopilot_ingest.
 */
describe.skipIf(!url)(`database roles on a PostgreSQL server${url ? '' : ' (skipped: no PostgreSQL server; set TEST_DATABASE_URL or install postgresql)'}`, () => {
  let owner: Db;
  let analysis: Db;
  let ingest: Db;
  let raw: pg.Client;
  const suffix = randomBytes(4).toString('hex');
  const users = { analysis: `idc_analyst_${suffix}`, ingest: `idc_loader_${suffix}` };

  beforeAll(async () => {
    owner = await freshPgStore(url!);
    await seed(owner, [
      { kind: 'identity', value: { id: ROLE, kind: 'role', provider: 'aws', name: 'deploy' } },
      { kind: 'identity', value: { id: 'hr:employee:E1', kind: 'human', provider: 'hr', name: 'Dana Reyes', email: 'dana@example.com' } },
      { kind: 'edge', value: { from: 'hr:employee:E1', to: ROLE, kind: 'can_assume' } },
    ]);
    const admin = new pg.Client({ connectionString: url! });
    await admin.connect();
    await admin.query(`CREATE ROLE ${users.analysis} LOGIN IN ROLE idcopilot_analysis`);
    await admin.query(`CREATE ROLE ${users.ingest} LOGIN IN ROLE idcopilot_ingest`);
    await admin.end();
    const as = (user: string) => {
      const u = new URL(owner.location.replace(/^postgresql:\/\//, 'postgresql://x@'));
      const base = new URL(url!);
      u.username = user;
      u.host = base.host;
      return u.toString();
    };
    analysis = await openStore({ databaseUrl: as(users.analysis) });
    ingest = await openStore({ databaseUrl: as(users.ingest) });
    raw = new pg.Client({ connectionString: as(users.analysis) });
    await raw.connect();
  });

  afterAll(async () => {
    await raw?.end();
    await analysis?.close();
    await ingest?.close();
    await owner?.close();
    const admin = new pg.Client({ connectionString: url! });
    await admin.connect();
    for (const u of Object.values(users)) await admin.query(`DROP ROLE IF EXISTS ${u}`);
    await admin.end();
  });

  it('the migration created both NOLOGIN groups', async () => {
    const rows = await owner.query(`SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('idcopilot_analysis', 'idcopilot_ingest') ORDER BY rolname`);
    expect(rows).toEqual([{ rolname: 'idcopilot_analysis', rolcanlogin: false }, { rolname: 'idcopilot_ingest', rolcanlogin: false }]);
  });

  it('analysis reads identity data', async () => {
    const rows = await analysis.query('SELECT id FROM identities ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([ROLE, 'hr:employee:E1']);
    expect(await analysis.query('SELECT from_id, to_id FROM edges')).toEqual([{ from_id: 'hr:employee:E1', to_id: ROLE }]);
  });

  it('analysis cannot write identity data: inserts are refused, updates reach no row, deletes are denied', async () => {
    await expect(analysis.query(`INSERT INTO identities (id, kind, provider, name) VALUES ('arn:aws:iam::111122223333:role/evil', 'role', 'aws', 'evil')`)).rejects.toThrow(/row-level security/);
    await expect(analysis.query(`INSERT INTO identities (id, kind, provider, name) VALUES ('arn:aws:iam::111122223333:role/evil', 'role', 'copilot', 'evil')`)).rejects.toThrow(/row-level security/);
    const upd = await raw.query(`UPDATE identities SET name = 'renamed' WHERE id = $1`, [ROLE]);
    expect(upd.rowCount).toBe(0);
    expect((await owner.query('SELECT name FROM identities WHERE id = $1', [ROLE]))[0].name).toBe('deploy');
    await expect(analysis.query('DELETE FROM identities')).rejects.toThrow(/permission denied/);
    await expect(analysis.query(`INSERT INTO edges (from_id, kind, to_id) VALUES ($1, 'can_assume', 'arn:aws:iam::111122223333:role/admin')`, [ROLE])).rejects.toThrow(/row-level security/);
    await expect(analysis.query(`INSERT INTO events (id, time, provider, action, actor_id) VALUES ('aws:ct:forged', now(), 'aws', 'AssumeRole', $1)`, [ROLE])).rejects.toThrow(/row-level security/);
    await expect(analysis.query(`INSERT INTO credentials (id, identity_id, type, fingerprint) VALUES ('k', $1, 'access_key', 'sha256:00000000000000000000')`, [ROLE])).rejects.toThrow(/permission denied/);
    await expect(analysis.query(`INSERT INTO alerts (id, time, source, severity, title) VALUES ('x', now(), 'x', 'low', 'x')`)).rejects.toThrow(/permission denied/);
    await expect(analysis.query(`INSERT INTO api_tokens (id, principal, scopes, hash, created_by, expires_at) VALUES ('x', 'x', '[]', 'x', 'x', now())`)).rejects.toThrow(/permission denied/);
    await expect(analysis.transaction(async (tx) => {
      const w = new BulkWriter(tx);
      w.add({ kind: 'identity', value: { id: 'arn:aws:iam::1:user/x', kind: 'service_account', provider: 'aws', name: 'x', email: null, account: null, environment: 'unknown', status: 'unknown', createdAt: null, lastSeenAt: null, autonomy: null, tags: {}, attributes: {}, origin: 'inventory' } });
      await w.flush();
    })).rejects.toThrow(/row-level security|permission denied/);
  });

  it('analysis writes the audit log (and the canonical events and edges of its own identity), but cannot change it', async () => {
    const cfg = Config.parse({ copilot: { owner: 'dana@example.com', name: 'identity-copilot' } });
    await ensureCopilotIdentity(analysis, cfg, { surface: 'serve', principals: [{ name: 'alice', scopes: ['read:inventory'] }] });
    const log = await AuditLog.open(analysis, { agentName: 'identity-copilot' });
    await log.append({ principal: 'alice', transport: 'http', kind: 'tool', name: 'get_identity', args: { id: ROLE }, target: ROLE, durationMs: 2, outcome: 'ok' });
    await log.close();
    expect(await owner.query(`SELECT principal, name FROM audit_log`)).toEqual([{ principal: 'alice', name: 'get_identity' }]);
    expect(await owner.query(`SELECT actor_id, target FROM events WHERE provider = 'copilot'`)).toEqual([{ actor_id: 'copilot:agent:identity-copilot', target: ROLE }]);
    expect(await owner.query(`SELECT from_id, kind, to_id, observed FROM edges WHERE to_id LIKE 'copilot:%' ORDER BY kind, from_id`)).toEqual([
      { from_id: 'copilot:agent:identity-copilot', kind: 'acts_for', to_id: 'copilot:principal:alice', observed: true },
      { from_id: 'hr:employee:E1', kind: 'owns', to_id: 'copilot:agent:identity-copilot', observed: false },
    ]);
    await expect(analysis.query(`UPDATE audit_log SET principal = 'mallory'`)).rejects.toThrow(/permission denied/);
    await expect(analysis.query(`DELETE FROM audit_log`)).rejects.toThrow(/permission denied/);
    expect((await verifyAudit(analysis)).ok).toBe(true);
  });

  it('analysis verifies tokens and records their use, and serves the real tools (lookup writes its embeddings)', async () => {
    const { token } = await createToken(owner, { principal: 'alice', scopes: ['read:inventory', 'read:graph'], createdBy: 'owner' });
    const v = new TokenVerifier(analysis, { cacheMs: 0 });
    const principal = await v.verify(token);
    expect(principal?.name).toBe('alice');
    await new Promise((r) => setTimeout(r, 100));
    expect((await owner.query(`SELECT last_used_at FROM api_tokens WHERE principal = 'alice'`))[0].last_used_at).not.toBeNull();
    const { tools } = await loadRegistry();
    const byName = new Map<string, McpTool>(tools.map((t) => [t.name, t]));
    const log = await AuditLog.open(analysis, { agentName: 'identity-copilot' });
    const rt = { db: analysis, config: Config.parse({}), audit: log, tools };
    const r = await invokeTool(rt, byName, 'inventory_lookup', { query: 'deploy' }, principal!);
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { identities: { id: string }[] }).identities[0].id).toBe(ROLE);
    const t = await invokeTool(rt, byName, 'trace_delegation', { id: ROLE, direction: 'up' }, principal!);
    expect(t.isError).toBeFalsy();
    expect((t.structuredContent as { trace: { roots: { id: string }[] } }).trace.roots.map((x) => x.id)).toEqual(['hr:employee:E1']);
    await log.close();
  });

  it('ingest writes identity data and appends to the audit log, but cannot read token hashes or change the log', async () => {
    await seed(ingest, [{ kind: 'identity', value: { id: 'arn:aws:iam::111122223333:user/new', kind: 'service_account', provider: 'aws', name: 'new' } }]);
    expect(await owner.query(`SELECT id FROM identities WHERE id = 'arn:aws:iam::111122223333:user/new'`)).toHaveLength(1);
    const log = await AuditLog.open(ingest, { agentName: 'identity-copilot', mirrorEvents: false });
    await log.append({ principal: 'local:loader', transport: 'cli', kind: 'command', name: 'ingest', args: {}, durationMs: 10, outcome: 'ok' });
    await log.close();
    await expect(ingest.query('SELECT * FROM api_tokens')).rejects.toThrow(/permission denied/);
    await expect(ingest.query(`DELETE FROM audit_log`)).rejects.toThrow(/permission denied/);
  });
});
