import type { Db } from '../../store/index.js';
import { jsonRows } from './rows.js';
import { ownersOf, type OwnerInfo } from '../ownership.js';

/** What correlation needs to know about an identity to weigh and act on a story. */
export interface IdentityFact {
  id: string;
  kind: string;
  provider: string;
  name: string;
  email: string | null;
  account: string | null;
  environment: string;
  status: string;
  autonomy: string | null;
  /** Another organisation's principal (an AWS account the inventory does not hold, a vendor). */
  external: boolean;
  accountRoot: boolean;
  origin: string;
  createdAt: string | null;
  lastSeenAt: string | null;
  /** Highest privilege of its Allow entitlements, or null when none are known. */
  privilege: string | null;
  attributes: Record<string, unknown>;
  tags: Record<string, string>;
}

const PRIV_SQL = `max(CASE privilege WHEN 'admin' THEN 4 WHEN 'privesc' THEN 3 WHEN 'credential' THEN 2 WHEN 'write' THEN 1 ELSE 0 END)`;
export const PRIVILEGES = ['read', 'write', 'credential', 'privesc', 'admin'] as const;

/** Facts about identities, cached for a run; ids the store does not hold come back as null. */
export class FactBook {
  private readonly facts = new Map<string, IdentityFact | null>();
  private readonly owners = new Map<string, OwnerInfo | null>();

  constructor(private readonly db: Db) {}

  get(id: string): IdentityFact | null {
    return this.facts.get(id) ?? null;
  }

  owner(id: string): OwnerInfo | null {
    return this.owners.get(id) ?? null;
  }

  kind(id: string): string | null {
    return this.facts.get(id)?.kind ?? null;
  }

  private internal: Set<string> | null = null;

  /** AWS accounts the inventory describes: a root of any other account is another organisation's. */
  private async internalAccounts(): Promise<Set<string>> {
    if (!this.internal) {
      // Distinct accounts by skipping through the account index (a handful of accounts, a million identities),
      // each kept when an inventory describes something in it besides its root.
      const rows = await this.db.query(`
        WITH RECURSIVE a AS (
          SELECT min(account) AS v FROM identities
          UNION ALL SELECT (SELECT min(account) FROM identities WHERE account > a.v) FROM a WHERE a.v IS NOT NULL)
        SELECT v AS account FROM a WHERE v ~ '^[0-9]{12}$'
          AND EXISTS (SELECT 1 FROM identities i WHERE i.account = a.v AND i.provider = 'aws' AND i.origin = 'inventory' AND i.kind <> 'role')
        UNION SELECT DISTINCT account FROM resources WHERE provider = 'aws' AND account IS NOT NULL`);
      this.internal = new Set(rows.map((r) => String(r.account)));
    }
    return this.internal;
  }

  async load(ids: Iterable<string>): Promise<void> {
    const internal = await this.internalAccounts();
    const want = [...new Set(ids)].filter((id) => !this.facts.has(id));
    for (let i = 0; i < want.length; i += 20_000) {
      const chunk = want.slice(i, i + 20_000);
      const rows = await jsonRows(this.db, `SELECT id, kind, provider, name, email, account, environment, status, autonomy, origin, created_at, last_seen_at,
            attributes, tags FROM identities WHERE id = ANY($1::text[])`, [chunk]);
      // Keys and tokens hold no entitlements of their own (their principal does): no need to ask.
      const principals = rows.filter((r) => r.kind !== 'api_key' && r.kind !== 'certificate').map((r) => r.id);
      const privs = principals.length ? await jsonRows(this.db, `SELECT identity_id, ${PRIV_SQL} AS level FROM entitlements WHERE identity_id = ANY($1::text[]) AND effect = 'Allow' AND via <> 'boundary' GROUP BY identity_id`, [principals]) : [];
      const level = new Map(privs.map((p) => [p.identity_id, Number(p.level)]));
      for (const r of rows) {
        const attributes = (typeof r.attributes === 'string' ? JSON.parse(r.attributes) : r.attributes) ?? {};
        const l = level.get(r.id);
        this.facts.set(r.id, {
          id: r.id, kind: r.kind, provider: r.provider, name: r.name, email: r.email ?? null, account: r.account ?? null,
          environment: r.environment ?? 'unknown', status: r.status ?? 'unknown', autonomy: r.autonomy ?? null,
          external: isExternal(r.id, r.account, attributes, internal), accountRoot: attributes.accountRoot === true || /^arn:aws:iam::\d{12}:root$/.test(r.id),
          origin: r.origin, createdAt: iso(r.created_at), lastSeenAt: iso(r.last_seen_at),
          privilege: l === undefined ? null : PRIVILEGES[l], attributes,
          tags: (typeof r.tags === 'string' ? JSON.parse(r.tags) : r.tags) ?? {},
        });
      }
      for (const id of chunk) {
        if (this.facts.has(id)) continue;
        // An account root the store never saw (a trust names it, CloudTrail shows it) is still known by its id.
        const m = /^arn:aws:iam::(\d{12}):root$/.exec(id);
        this.facts.set(id, m ? {
          id, kind: 'role', provider: 'aws', name: `account ${m[1]} root`, email: null, account: m[1], environment: 'unknown', status: 'unknown', autonomy: null,
          external: !internal.has(m[1]), accountRoot: true, origin: 'derived', createdAt: null, lastSeenAt: null, privilege: null, attributes: {}, tags: {},
        } : null);
      }
    }
  }

  /** Accountable owners (ownership engine), cached. */
  async loadOwners(ids: Iterable<string>): Promise<void> {
    const want = [...new Set(ids)].filter((id) => !this.owners.has(id));
    for (let i = 0; i < want.length; i += 5_000) {
      const chunk = want.slice(i, i + 5_000);
      const found = await ownersOf(this.db, chunk);
      for (const id of chunk) this.owners.set(id, found.get(id) ?? null);
    }
  }
}

/**
 * Another organisation's principal: an AWS account root of an account the inventory does not describe
 * (the connector's attributes.external is per file, so a sibling account's root can carry it), or what
 * a connector marked external outside AWS.
 */
function isExternal(id: string, account: string | null, attributes: Record<string, unknown>, internal: Set<string>): boolean {
  const m = /^arn:aws:iam::(\d{12}):root$/.exec(id);
  if (m) return !internal.has(m[1]);
  if (id.startsWith('arn:aws:iam::') && account && internal.size) return !internal.has(account);
  return attributes.external === true;
}

export function iso(v: unknown): string | null {
  return v ? new Date(v as string).toISOString() : null;
}

/** Statuses that mean the person or account is gone. */
export const GONE = new Set(['terminated', 'disabled', 'deleted', 'suspended', 'inactive']);

/** Identities the provider runs itself (AWS service principals, service-linked roles): nobody in the company owns them. */
export function providerManaged(f: IdentityFact | null, id: string): boolean {
  if (id.startsWith('aws:service:') || id === 'aws:principal:*' || id.startsWith('azure:service:')) return true;
  const path = String(f?.attributes.path ?? '');
  return path.startsWith('/aws-service-role/') || path.startsWith('/aws-reserved/') || f?.attributes.providerManaged === true;
}
