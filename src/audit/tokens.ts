import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CopilotError } from '../lib/errors.js';
import { fingerprint } from '../lib/secrets.js';
import { Credential } from '../model/index.js';
import type { Db, Row } from '../store/index.js';
import { principalId, PrincipalKind, PrincipalName, tokenCredentialId } from './ids.js';
import type { Principal } from './principal.js';
import { Role, Scope } from './scopes.js';

/** Every token expires: a default a reviewer accepts, and a ceiling no flag can pass. */
export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 365;

/**
 * `idc_<id>_<secret>`: the prefix lets secret scanners (and redact()) recognise a leaked token; the id
 * finds the row without scanning; the secret is 32 random bytes. Only sha256(token) is stored.
 */
const TOKEN_FORMAT = /^idc_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export const TokenStatus = z.enum(['active', 'expired', 'revoked']);

export const TokenInfo = z.object({
  id: z.string(),
  principal: z.string(),
  principalKind: PrincipalKind,
  scopes: z.array(Scope),
  roles: z.array(Role),
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  revokedReason: z.string().nullable(),
  rotatedTo: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  note: z.string(),
  status: TokenStatus,
});
export type TokenInfo = z.infer<typeof TokenInfo>;

export const CreateTokenInput = z.object({
  principal: PrincipalName,
  kind: PrincipalKind.default('human'),
  scopes: z.array(Scope).min(1, 'a token needs at least one scope or role'),
  roles: z.array(Role).default([]),
  expiresInDays: z.number().positive().max(MAX_TOKEN_DAYS, `tokens last at most ${MAX_TOKEN_DAYS} days`).default(DEFAULT_TOKEN_DAYS),
  createdBy: z.string().min(1),
  note: z.string().max(200).default(''),
});
export type CreateTokenInput = z.input<typeof CreateTokenInput>;

const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
const iso = (v: unknown): string | null => (v ? new Date(v as string).toISOString() : null);

function toInfo(r: Row, now = Date.now()): TokenInfo {
  const expiresAt = iso(r.expires_at)!;
  return {
    id: r.id,
    principal: r.principal,
    principalKind: r.principal_kind,
    scopes: r.scopes,
    roles: r.roles ?? [],
    createdAt: iso(r.created_at)!,
    createdBy: r.created_by,
    expiresAt,
    revokedAt: iso(r.revoked_at),
    revokedReason: r.revoked_reason ?? null,
    rotatedTo: r.rotated_to ?? null,
    lastUsedAt: iso(r.last_used_at),
    note: r.note ?? '',
    status: r.revoked_at && new Date(r.revoked_at).getTime() <= now ? 'revoked' : new Date(expiresAt).getTime() <= now ? 'expired' : 'active',
  };
}

/**
 * Create a token and the inventory facts about it: the principal's identity, and the token as that
 * identity's credential (fingerprint only), so that the copilot's own credentials show up in posture
 * and risk like any other. The token string is returned once and never stored.
 */
export async function createToken(db: Db, input: CreateTokenInput, now = new Date()): Promise<{ token: string; info: TokenInfo }> {
  const parsed = CreateTokenInput.safeParse(input);
  if (!parsed.success) throw new CopilotError('E_USAGE', parsed.error.issues.map((i) => `${i.path.join('.') || 'token'}: ${i.message}`).join('; '));
  const p = parsed.data;
  const id = randomBytes(8).toString('hex');
  const token = `idc_${id}_${randomBytes(32).toString('base64url')}`;
  const expires = new Date(now.getTime() + p.expiresInDays * 86_400_000);
  const row = await db.transaction(async (tx) => {
    const [r] = await tx.query(
      `INSERT INTO api_tokens (id, principal, principal_kind, scopes, roles, hash, created_at, created_by, expires_at, note)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9, $10) RETURNING *`,
      [id, p.principal, p.kind, JSON.stringify(p.scopes), JSON.stringify(p.roles), hashToken(token), now.toISOString(), p.createdBy, expires.toISOString(), p.note]);
    await recordCredential(tx, { id, principal: p.principal, kind: p.kind, scopes: p.scopes, roles: p.roles, token, createdAt: now.toISOString(), expiresAt: expires.toISOString() });
    return r;
  });
  return { token, info: toInfo(row) };
}

async function recordCredential(db: Db, t: { id: string; principal: string; kind: PrincipalKind; scopes: string[]; roles: string[]; token: string; createdAt: string; expiresAt: string }): Promise<void> {
  const pid = principalId(t.principal);
  await db.query(
    `INSERT INTO identities (id, kind, provider, name, status, attributes, origin) VALUES ($1, $2, 'copilot', $3, 'active', $4::jsonb, 'inventory')
     ON CONFLICT (id) DO UPDATE SET status = 'active', attributes = identities.attributes || excluded.attributes`,
    [pid, t.kind, t.principal, JSON.stringify({ scopes: t.scopes, roles: t.roles })]);
  const c = Credential.parse({
    id: tokenCredentialId(t.id), identityId: pid, type: 'api_token', fingerprint: fingerprint(t.token),
    createdAt: t.createdAt, expiresAt: t.expiresAt, status: 'active', attributes: { scopes: t.scopes, roles: t.roles, issuer: 'identity-copilot' },
  });
  await db.query(
    `INSERT INTO credentials (id, identity_id, type, fingerprint, created_at, expires_at, status, attributes, origin)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, 'inventory') ON CONFLICT (id) DO NOTHING`,
    [c.id, c.identityId, c.type, c.fingerprint, c.createdAt, c.expiresAt, c.status, JSON.stringify(c.attributes)]);
  await db.query(
    `INSERT INTO edges (from_id, kind, to_id, potential, observed, count, evidence, attributes) VALUES ($1, 'owns_credential', $2, true, false, 0, '[]', '{}')
     ON CONFLICT (from_id, kind, to_id) DO NOTHING`, [pid, c.id]);
}

export async function listTokens(db: Db, opts: { all?: boolean } = {}): Promise<TokenInfo[]> {
  const rows = await db.query(`SELECT * FROM api_tokens ORDER BY principal, created_at`);
  const now = Date.now();
  return rows.map((r) => toInfo(r, now)).filter((t) => opts.all || t.status === 'active');
}

export async function getToken(db: Db, id: string): Promise<TokenInfo | null> {
  const [r] = await db.query('SELECT * FROM api_tokens WHERE id = $1', [id]);
  return r ? toInfo(r) : null;
}

/** Revoke at once (or at `at`, for a rotation's grace period). The credential's status follows. */
export async function revokeToken(db: Db, id: string, reason: string, at = new Date()): Promise<TokenInfo> {
  const [r] = await db.query(
    `UPDATE api_tokens SET revoked_at = least(coalesce(revoked_at, $2), $2), revoked_reason = coalesce(revoked_reason, $3) WHERE id = $1 RETURNING *`,
    [id, at.toISOString(), reason]);
  if (!r) throw new CopilotError('E_NOT_FOUND', `no token ${id} (idcopilot token list --all shows every token)`);
  await db.query(`UPDATE credentials SET status = 'revoked' WHERE id = $1`, [tokenCredentialId(id)]);
  return toInfo(r);
}

/**
 * A new token for the same principal and scopes, as long-lived as the old one was; the old one is
 * revoked now, or after `graceSeconds` so that a client can switch without an outage.
 */
export async function rotateToken(db: Db, id: string, by: string, opts: { graceSeconds?: number; now?: Date } = {}): Promise<{ token: string; info: TokenInfo; old: TokenInfo }> {
  const now = opts.now ?? new Date();
  return db.transaction(async (tx) => {
    const [r] = await tx.query('SELECT * FROM api_tokens WHERE id = $1 FOR UPDATE', [id]);
    if (!r) throw new CopilotError('E_NOT_FOUND', `no token ${id}`);
    const old = toInfo(r, now.getTime());
    if (old.status !== 'active') throw new CopilotError('E_USAGE', `token ${id} is ${old.status}; create a new one instead`);
    const lifetimeDays = Math.min(MAX_TOKEN_DAYS, Math.max(1, (new Date(old.expiresAt).getTime() - new Date(old.createdAt).getTime()) / 86_400_000));
    const created = await createToken(tx, {
      principal: old.principal, kind: old.principalKind, scopes: old.scopes, roles: old.roles, expiresInDays: lifetimeDays, createdBy: by,
      note: `rotated from ${id}`,
    }, now);
    await tx.query('UPDATE api_tokens SET rotated_to = $2 WHERE id = $1', [id, created.info.id]);
    const revoked = await revokeToken(tx, id, `rotated to ${created.info.id}`, new Date(now.getTime() + (opts.graceSeconds ?? 0) * 1000));
    await tx.query(`UPDATE credentials SET last_rotated_at = $2 WHERE id = $1`, [tokenCredentialId(created.info.id), now.toISOString()]);
    return { ...created, old: revoked };
  });
}

interface Cached {
  row: Row | null;
  at: number;
}

/**
 * Checks bearer tokens for the HTTP server: format, then the row by id, then a constant-time compare of
 * the hash, then revocation and expiry. Rows are cached briefly (a revocation made by another process
 * applies within `cacheMs`; one made through this process applies at once); last use is written at
 * most once a minute per token, off the request path.
 */
export class TokenVerifier {
  private cache = new Map<string, Cached>();
  private lastUseWritten = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly opts: { cacheMs?: number; now?: () => number; onLastUseError?: (err: Error) => void } = {},
  ) {}

  /** The principal the token stands for, or null: the caller learns nothing about why. */
  async verify(token: string): Promise<(Principal & { tokenId: string; expiresAt: number }) | null> {
    const m = TOKEN_FORMAT.exec(token);
    if (!m) return null;
    const id = m[1];
    const now = this.opts.now?.() ?? Date.now();
    let c = this.cache.get(id);
    if (!c || now - c.at > (this.opts.cacheMs ?? 5000)) {
      const [row] = await this.db.query('SELECT id, principal, principal_kind, scopes, hash, expires_at, revoked_at FROM api_tokens WHERE id = $1', [id]);
      c = { row: row ?? null, at: now };
      this.cache.set(id, c);
      if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    }
    const row = c.row;
    if (!row) return null;
    const a = Buffer.from(hashToken(token), 'hex');
    const b = Buffer.from(String(row.hash), 'hex');
    if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
    if (row.revoked_at && new Date(row.revoked_at).getTime() <= now) return null;
    const expiresAt = new Date(row.expires_at).getTime();
    if (expiresAt <= now) return null;
    this.touch(id, now);
    return {
      name: row.principal,
      kind: row.principal_kind,
      scopes: (row.scopes as string[]).filter((s): s is Scope => Scope.safeParse(s).success),
      transport: 'http',
      tokenId: id,
      expiresAt: Math.floor(expiresAt / 1000),
    };
  }

  /** Forget a cached row (after a revoke or rotate made through this process). */
  invalidate(id?: string): void {
    if (id) this.cache.delete(id);
    else this.cache.clear();
  }

  private touch(id: string, now: number): void {
    const last = this.lastUseWritten.get(id) ?? 0;
    if (now - last < 60_000) return;
    this.lastUseWritten.set(id, now);
    this.db.query('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1', [id, new Date(now).toISOString()])
      .catch((err) => this.opts.onLastUseError?.(err as Error));
  }
}

/** The public id of a token string, for logs and audit (never the secret). */
export function tokenIdOf(token: string): string | null {
  return TOKEN_FORMAT.exec(token)?.[1] ?? null;
}
