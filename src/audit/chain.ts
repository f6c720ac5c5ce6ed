import { createHash, createHmac } from 'node:crypto';
import { fingerprint } from '../lib/secrets.js';
import type { AuditRecord } from './record.js';

/** The hash a writer's first record chains from when the table was empty. */
export const GENESIS = '0'.repeat(64);
const VERSION = 'idcopilot-audit-v1';

/**
 * An optional key (IDCOPILOT_AUDIT_KEY, at least 32 characters) turns the chain into HMACs: someone
 * who can write the table but does not hold the key cannot recompute the hashes after a change.
 */
export interface AuditKey {
  id: string;
  secret: string;
}

export function auditKeyFromEnv(env: NodeJS.ProcessEnv = process.env): AuditKey | null {
  const secret = env.IDCOPILOT_AUDIT_KEY;
  if (!secret) return null;
  if (secret.length < 32) throw new Error('IDCOPILOT_AUDIT_KEY must be at least 32 characters');
  return { id: fingerprint(secret).slice(0, 23), secret };
}

type Hashed = Omit<AuditRecord, 'hash'>;

/**
 * The hash covers every field, the record's place (writer, n) and the previous hash: changing,
 * deleting or moving a record breaks either its own hash or the next record's link.
 */
export function hashRecord(r: Hashed, key: AuditKey | null): string {
  const text = JSON.stringify([
    VERSION, r.writer, r.n, r.prevHash, r.keyId, r.time, r.principal, r.transport, r.kind, r.name, r.args, r.client,
    r.resultDigest, r.durationMs.toFixed(3), r.outcome, r.error,
  ]);
  return key ? createHmac('sha256', key.secret).update(text, 'utf8').digest('hex') : createHash('sha256').update(text, 'utf8').digest('hex');
}
