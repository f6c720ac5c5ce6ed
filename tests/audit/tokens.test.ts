import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AuditLog, createToken, listTokens, resolveScopes, revokeToken, rotateToken, ROLE_SCOPES, TokenVerifier, tokenIdOf } from '../../src/audit/index.js';
import { openStore, type Db } from '../../src/store/index.js';

describe('scopes and role presets', () => {
  it('are exactly the issue\'s presets', () => {
    expect(ROLE_SCOPES.analyst).toEqual(['read:inventory', 'read:graph', 'read:risk', 'read:incidents', 'read:briefing', 'write:incidents']);
    expect(ROLE_SCOPES.oncall).toEqual(['read:incidents', 'read:graph', 'write:incidents']);
    expect(ROLE_SCOPES.ciso).toEqual(['read:briefing', 'read:risk', 'read:incidents']);
    expect(ROLE_SCOPES.ingest).toEqual(['write:ingest']);
    expect(ROLE_SCOPES.admin).toEqual(['read:inventory', 'read:graph', 'read:risk', 'read:incidents', 'read:briefing', 'write:incidents', 'write:ingest', 'admin:audit', 'admin:tokens']);
  });

  it('mix roles and scopes, sorted and distinct, and refuse anything unknown by name', () => {
    expect(resolveScopes(['ciso,read:graph', 'read:risk'])).toEqual({ scopes: ['read:graph', 'read:risk', 'read:incidents', 'read:briefing'], roles: ['ciso'] });
    expect(() => resolveScopes(['analyst', 'read:everything'])).toThrow('unknown role or scope "read:everything"');
    expect(() => resolveScopes(['Analyst'])).toThrow(/unknown role or scope "Analyst"/);
  });
});

describe('bearer tokens', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openStore({ data: ':memory:' });
  });
  afterAll(async () => db.close());

  it('are shown once and stored only as a hash; the inventory gets the principal and the token as its credential', async () => {
    const { token, info } = await createToken(db, { principal: 'alice', scopes: ['read:inventory'], roles: [], expiresInDays: 30, createdBy: 'local:test' });
    expect(token).toMatch(/^idc_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(tokenIdOf(token)).toBe(info.id);
    const secret = token.split('_').slice(2).join('_');
    for (const table of ['api_tokens', 'credentials', 'identities', 'edges']) {
      const rows = await db.query(`SELECT * FROM ${table}`);
      expect(JSON.stringify(rows)).not.toContain(secret);
    }
    const [row] = await db.query('SELECT hash FROM api_tokens WHERE id = $1', [info.id]);
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    const [cred] = await db.query('SELECT identity_id, type, fingerprint, status, expires_at FROM credentials WHERE id = $1', [`copilot:token:${info.id}`]);
    expect(cred).toMatchObject({ identity_id: 'copilot:principal:alice', type: 'api_token', status: 'active' });
    expect(new Date(cred.expires_at).toISOString()).toBe(info.expiresAt);
    const [ident] = await db.query(`SELECT kind, provider, name FROM identities WHERE id = 'copilot:principal:alice'`);
    expect(ident).toEqual({ kind: 'human', provider: 'copilot', name: 'alice' });
    expect(await db.query(`SELECT 1 FROM edges WHERE from_id = 'copilot:principal:alice' AND kind = 'owns_credential' AND to_id = $1`, [`copilot:token:${info.id}`])).toHaveLength(1);
  });

  it('refuse emails as principals, tokens without scopes, and lifetimes beyond a year', async () => {
    await expect(createToken(db, { principal: 'alice@example.com', scopes: ['read:inventory'], createdBy: 't' })).rejects.toThrow(/not an email/);
    await expect(createToken(db, { principal: 'bob', scopes: [], createdBy: 't' })).rejects.toThrow(/at least one scope/);
    await expect(createToken(db, { principal: 'bob', scopes: ['read:graph'], expiresInDays: 400, createdBy: 't' })).rejects.toThrow(/at most 365 days/);
  });

  it('verify: right token -> principal; altered, unknown, revoked or expired -> null, all alike', async () => {
    const v = new TokenVerifier(db, { cacheMs: 0 });
    const ok = await createToken(db, { principal: 'soar-bot', kind: 'bot', scopes: ['read:incidents', 'write:incidents'], createdBy: 't' });
    const p = await v.verify(ok.token);
    expect(p).toMatchObject({ name: 'soar-bot', kind: 'bot', scopes: ['read:incidents', 'write:incidents'], transport: 'http', tokenId: ok.info.id });
    expect(p!.expiresAt).toBe(Math.floor(new Date(ok.info.expiresAt).getTime() / 1000));
    const flipped = ok.token.slice(0, -1) + (ok.token.endsWith('x') ? 'y' : 'x');
    expect(await v.verify(flipped)).toBeNull();
    expect(await v.verify('idc_ffffffffffffffff_' + 'a'.repeat(43))).toBeNull();
    const old = await createToken(db, { principal: 'old', scopes: ['read:graph'], expiresInDays: 1, createdBy: 't' }, new Date(Date.now() - 2 * 86_400_000));
    expect(old.info.status).toBe('expired');
    expect(await v.verify(old.token)).toBeNull();
    await revokeToken(db, ok.info.id, 'test');
    expect(await v.verify(ok.token)).toBeNull();
    const [cred] = await db.query('SELECT status FROM credentials WHERE id = $1', [`copilot:token:${ok.info.id}`]);
    expect(cred.status).toBe('revoked');
  });

  it('verify never throws, whatever string it is given (property)', async () => {
    const v = new TokenVerifier(db, { cacheMs: 0 });
    const real = (await createToken(db, { principal: 'fuzz', scopes: ['read:graph'], createdBy: 't' })).token;
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.tuple(fc.nat({ max: real.length }), fc.string({ maxLength: 5 })).map(([i, s]) => real.slice(0, i) + s + real.slice(i + 1)),
        fc.nat({ max: real.length }).map((i) => real.slice(0, i)),
      ),
      async (candidate) => {
        const r = await v.verify(candidate);
        expect(r === null || candidate === real).toBe(true);
      },
    ), { numRuns: 300 });
  });

  it('a cached row is dropped on invalidate, so a revocation through this process applies at once', async () => {
    const v = new TokenVerifier(db, { cacheMs: 60_000 });
    const t = await createToken(db, { principal: 'cached', scopes: ['read:graph'], createdBy: 't' });
    expect(await v.verify(t.token)).not.toBeNull();
    await revokeToken(db, t.info.id, 'test');
    expect(await v.verify(t.token)).not.toBeNull();
    v.invalidate(t.info.id);
    expect(await v.verify(t.token)).toBeNull();
  });

  it('rotate: the new token works at once, the old one stops now or after the grace period', async () => {
    const v = new TokenVerifier(db, { cacheMs: 0 });
    const a = await createToken(db, { principal: 'rotor', scopes: ['read:risk'], roles: [], expiresInDays: 30, createdBy: 't' });
    const r = await rotateToken(db, a.info.id, 'local:test', { graceSeconds: 600 });
    expect(r.info).toMatchObject({ principal: 'rotor', scopes: ['read:risk'], status: 'active', note: `rotated from ${a.info.id}` });
    expect(Math.round((new Date(r.info.expiresAt).getTime() - new Date(r.info.createdAt).getTime()) / 86_400_000)).toBe(30);
    expect(r.old.rotatedTo).toBe(r.info.id);
    expect(await v.verify(r.token)).not.toBeNull();
    expect(await v.verify(a.token)).not.toBeNull();
    const r2 = await rotateToken(db, r.info.id, 'local:test');
    expect(await v.verify(r.token)).toBeNull();
    expect(await v.verify(r2.token)).not.toBeNull();
    await expect(rotateToken(db, r.info.id, 'local:test')).rejects.toThrow(/is revoked; create a new one/);
    const listed = await listTokens(db, { all: true });
    expect(listed.filter((t) => t.principal === 'rotor').map((t) => t.status)).toEqual(['active', 'revoked', 'active']);
    expect((await listTokens(db)).every((t) => t.status === 'active')).toBe(true);
  });

  it('a token pasted into tool arguments is redacted before it reaches the audit log', async () => {
    const t = await createToken(db, { principal: 'paste', scopes: ['read:graph'], createdBy: 't' });
    const log = await AuditLog.open(db, { agentName: 'identity-copilot' });
    await log.append({ principal: 'paste', transport: 'http', kind: 'tool', name: 'inventory_lookup', args: { query: `who owns ${t.token}?` }, durationMs: 1, outcome: 'ok' });
    await log.close();
    const rows = await db.query(`SELECT args FROM audit_log WHERE principal = 'paste'`);
    expect(rows[0].args).toMatch(/who owns \[redacted sha256:[0-9a-f]{12}\]\?/);
    const events = await db.query(`SELECT detail FROM events WHERE provider = 'copilot' AND detail::text LIKE '%who owns%'`);
    expect(JSON.stringify(events)).not.toContain(t.token);
  });
});
