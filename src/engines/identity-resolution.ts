import type { Db } from '../store/index.js';

/**
 * Identity resolution: one person's (or workload's) accounts across systems, linked by `same_as`
 * edges whose attributes say which rule matched and how sure it is ({ resolvedBy, rule, confidence,
 * matched }); the `acts_for` edges of agents whose registry or configuration names their person by
 * email or username; and the Identity Center links that need the whole store (permission sets to the
 * `AWSReservedSSO_*` roles they provision, role sessions back to the Identity Center user).
 *
 * Ids stay the providers' own: nothing is merged, only linked. Whole-store SQL, recomputed after every
 * ingest in one transaction: links whose evidence is gone are removed, so the result depends only on
 * what the store holds (idempotent, like ownership resolution).
 *
 * Precision first: a person is anchored on their HR record, else on one account with their email; an
 * email two HR records share, or (without HR) two accounts of one provider share, links nothing; a name
 * matches only when it names exactly one person; an account that would link to two different HR people
 * links to neither; two HR records are never the same person.
 */
export interface ResolutionResult {
  sameAs: number;
  actsFor: number;
  canAssume: number;
  assumed: number;
  removed: number;
  alertsLinked: number;
}

export const RESOLVED_BY = 'identity-resolution';

/** Each rule's confidence: a shared id beats an email, an email beats a name. */
export const RULE_CONFIDENCE = {
  'identity-center-user-id': 1,
  'credential-fingerprint': 1,
  'hr-employee-id': 0.95,
  'scim-external-id': 0.95,
  'gcp-principal-email': 0.95,
  'sso-permission-set': 0.95,
  email: 0.9,
  'saml-subject': 0.9,
  'github-saml': 0.9,
  'registry-config': 0.9,
  'acts-for-email': 0.9,
  'sso-session': 0.9,
  'aws-iam-user-tag': 0.85,
  'aws-iam-user-email-name': 0.8,
  'aws-iam-user-name': 0.7,
  'acts-for-username': 0.7,
  'saml-username': 0.7,
} as const;

const IAM_USER = `'^arn:aws[a-z-]*:iam::[0-9]+:user/'`;

export async function resolveIdentities(db: Db): Promise<ResolutionResult> {
  return db.transaction(async (tx) => {
    const c = (rule: keyof typeof RULE_CONFIDENCE) => String(RULE_CONFIDENCE[rule]);
    await tx.exec(`
      CREATE TEMP TABLE ir_emails (id text, email text) ON COMMIT DROP;
      CREATE TEMP TABLE ir_people (email text PRIMARY KEY, anchor text) ON COMMIT DROP;
      CREATE TEMP TABLE ir_locals (local text PRIMARY KEY, anchor text) ON COMMIT DROP;
      CREATE TEMP TABLE ir_iam_users (id text PRIMARY KEY, name text, email text, tags jsonb) ON COMMIT DROP;
      CREATE TEMP TABLE ir_links (a text, b text, kind text, rule text, confidence real, matched text,
        observed boolean DEFAULT false, first_seen timestamptz, last_seen timestamptz, count int DEFAULT 0,
        evidence jsonb DEFAULT '[]') ON COMMIT DROP;`);

    // People by email: every address a person's account states (email, Entra UPN, Okta login).
    await tx.query(`
      INSERT INTO ir_emails
      SELECT id, lower(email) FROM identities WHERE kind = 'human' AND email LIKE '%_@_%'
      UNION SELECT id, lower(attributes->>'userPrincipalName') FROM identities
        WHERE kind = 'human' AND provider = 'entra' AND attributes->>'userPrincipalName' LIKE '%_@_%' AND attributes->>'userPrincipalName' NOT LIKE '%#EXT#%'
      UNION SELECT id, lower(attributes->>'login') FROM identities
        WHERE kind = 'human' AND provider = 'okta' AND attributes->>'login' LIKE '%_@_%'`);
    await tx.exec('ANALYZE ir_emails;');
    await tx.query(`
      INSERT INTO ir_people (email, anchor)
      SELECT DISTINCT ON (e.email) e.email, e.id
      FROM ir_emails e
      JOIN identities i ON i.id = e.id
      -- Two HR records with one address are two people; without an HR record, two accounts of one provider
      -- with one address (a shared mailbox) are nobody in particular: the address links none of them.
      -- One HR record settles it: every account with its address is that person's. Alert-named accounts do not count.
      JOIN (SELECT email FROM (
              SELECT e2.email, h.provider, count(*) AS n FROM ir_emails e2 JOIN identities h ON h.id = e2.id GROUP BY 1, 2) per_provider
            GROUP BY email
            HAVING coalesce(max(n) FILTER (WHERE provider = 'hr'), 0) = 1
                OR (coalesce(max(n) FILTER (WHERE provider = 'hr'), 0) = 0 AND coalesce(max(n) FILTER (WHERE provider <> 'generic'), 1) <= 1)
           ) unambiguous ON unambiguous.email = e.email
      ORDER BY e.email, (i.provider = 'hr') DESC, (i.provider IN ('okta', 'entra')) DESC, (i.origin = 'inventory') DESC, e.id`);

    // A handle that names exactly one person: an email, or an email's local part no one else shares.
    await tx.query(`
      INSERT INTO ir_locals SELECT split_part(email, '@', 1), min(anchor) FROM ir_people GROUP BY 1 HAVING count(DISTINCT anchor) = 1`);
    await tx.query(`INSERT INTO ir_iam_users SELECT id, name, email, tags FROM identities WHERE id ~ ${IAM_USER}`);
    // Temporary tables have no statistics until analysed: without them the planner loops over pairs.
    await tx.exec('ANALYZE ir_emails; ANALYZE ir_people; ANALYZE ir_locals; ANALYZE ir_iam_users;');

    const link = (rule: keyof typeof RULE_CONFIDENCE, kind: string, select: string) =>
      tx.query(`INSERT INTO ir_links (a, b, kind, rule, confidence, matched) SELECT a, b, '${kind}', '${rule}', ${c(rule)}, matched FROM (${select}) s WHERE a IS NOT NULL AND b IS NOT NULL AND a <> b`);

    await link('email', 'same_as', `SELECT e.id AS a, p.anchor AS b, e.email AS matched FROM ir_emails e JOIN ir_people p USING (email)`);
    await link('hr-employee-id', 'same_as', `
      SELECT i.id AS a, h.id AS b, h.id AS matched FROM identities i
      JOIN identities h ON h.id = 'hr:employee:' || coalesce(i.attributes->>'employeeId', i.attributes->>'employeeNumber', i.attributes->>'employee_id')
      WHERE i.provider <> 'hr' AND i.kind = 'human'`);
    await link('saml-subject', 'same_as', `
      SELECT i.id AS a, p.anchor AS b, p.email AS matched FROM identities i JOIN ir_people p ON p.email = lower(i.name)
      WHERE i.id LIKE 'aws:saml-user:%'`);
    await link('saml-username', 'same_as', `
      SELECT i.id AS a, l.anchor AS b, l.local AS matched FROM identities i JOIN ir_locals l ON l.local = lower(i.name)
      WHERE i.id LIKE 'aws:saml-user:%' AND i.name NOT LIKE '%@%' AND length(i.name) >= 3`);
    await link('github-saml', 'same_as', `
      SELECT i.id AS a, p.anchor AS b, p.email AS matched FROM identities i JOIN ir_people p ON p.email = lower(i.attributes->>'samlNameId')
      WHERE i.provider = 'github' AND i.attributes ? 'samlNameId'`);
    await link('scim-external-id', 'same_as', `
      SELECT i.id AS a, t.id AS b, x->>'id' AS matched
      FROM identities i
      CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(i.attributes->'externalIds') = 'array' THEN i.attributes->'externalIds' ELSE '[]'::jsonb END) x
      JOIN identities t ON t.id IN ('okta:user:' || (x->>'id'), 'entra:user:' || (x->>'id'))
      WHERE i.id LIKE 'aws:identity-center-user:%'`);
    // CloudTrail names an Identity Center user with its store (`<store>/<user id>`); the listings without.
    await link('identity-center-user-id', 'same_as', `
      SELECT c.id AS a, i.id AS b, i.id AS matched FROM identities c
      JOIN identities i ON i.id = 'aws:identity-center-user:' || split_part(substr(c.id, 26), '/', 2)
      WHERE c.id LIKE 'aws:identity-center-user:%/%'`);
    await link('aws-iam-user-tag', 'same_as', `
      SELECT i.id AS a, p.anchor AS b, p.email AS matched FROM ir_iam_users i
      CROSS JOIN LATERAL jsonb_each_text(i.tags) t
      JOIN ir_people p ON p.email = lower(trim(t.value))
      WHERE regexp_replace(lower(t.key), '[-_ .]', '', 'g') IN ('email', 'mail', 'emailaddress', 'useremail')
      UNION
      SELECT i.id, p.anchor, p.email FROM ir_iam_users i JOIN ir_people p ON p.email = lower(i.email)`);
    await link('aws-iam-user-email-name', 'same_as', `
      SELECT i.id AS a, p.anchor AS b, p.email AS matched FROM ir_iam_users i JOIN ir_people p ON p.email = lower(i.name)`);
    await link('aws-iam-user-name', 'same_as', `
      SELECT i.id AS a, l.anchor AS b, l.local AS matched FROM ir_iam_users i JOIN ir_locals l ON l.local = lower(i.name)
      WHERE length(i.name) >= 3`);
    // A Google service account named by its email elsewhere (an alert, an OCSF actor, a workload annotation).
    await link('gcp-principal-email', 'same_as', `
      SELECT i.id AS a, g.id AS b, g.email AS matched FROM identities i JOIN identities g ON g.id = 'gcp:sa:' || lower(i.email)
      WHERE i.email LIKE '%_@%.gserviceaccount.com' AND i.id NOT LIKE 'gcp:sa:%'`);
    await link('credential-fingerprint', 'same_as', `
      SELECT c1.id AS a, c2.id AS b, c1.fingerprint AS matched FROM credentials c1
      JOIN credentials c2 ON c2.fingerprint = c1.fingerprint AND c1.id < c2.id
      WHERE EXISTS (SELECT 1 FROM identities WHERE id = c1.id) AND EXISTS (SELECT 1 FROM identities WHERE id = c2.id)`);
    // A token known by its value whose twin is a credential of a principal (a Kubernetes token, a key): it acts as that principal.
    await link('credential-fingerprint', 'authenticates_as', `
      SELECT c1.id AS a, c2.identity_id AS b, c1.fingerprint AS matched FROM credentials c1
      JOIN credentials c2 ON c2.fingerprint = c1.fingerprint AND c2.id <> c1.id
      WHERE EXISTS (SELECT 1 FROM identities WHERE id = c1.id) AND NOT EXISTS (SELECT 1 FROM identities WHERE id = c2.id)
        AND c2.identity_id <> c1.id AND c2.identity_id <> c2.id`);
    await link('registry-config', 'same_as', `
      SELECT m.id AS a, r.id AS b, p AS matched FROM identities r
      CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(r.attributes->'mcpConfigs') = 'array' THEN r.attributes->'mcpConfigs' ELSE '[]'::jsonb END) p
      JOIN identities m ON m.kind = 'ai_agent'
        AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(m.attributes->'configPaths') = 'array' THEN m.attributes->'configPaths' ELSE '[]'::jsonb END) cp
                    WHERE cp = p OR right(cp, length(p) + 1) = '/' || p)
      WHERE r.kind = 'ai_agent'`);

    // Agents whose person was named by email or username.
    await link('acts-for-email', 'acts_for', `
      SELECT i.id AS a, coalesce(t.id, p.anchor) AS b, i.attributes->>'actsFor' AS matched FROM identities i
      LEFT JOIN identities t ON t.id = i.attributes->>'actsFor'
      LEFT JOIN ir_people p ON p.email = lower(i.attributes->>'actsFor')
      WHERE i.attributes ? 'actsFor' AND (t.id IS NOT NULL OR p.anchor IS NOT NULL)`);
    await link('acts-for-username', 'acts_for', `
      SELECT i.id AS a, l.anchor AS b, l.local AS matched FROM identities i JOIN ir_locals l ON l.local = lower(i.attributes->>'actsFor')
      WHERE i.attributes ? 'actsFor' AND i.attributes->>'actsFor' NOT LIKE '%@%' AND NOT EXISTS (SELECT 1 FROM identities t WHERE t.id = i.attributes->>'actsFor')`);

    // Identity Center: an assignment to a permission set in an account can assume the role it provisions there.
    await tx.query(`
      INSERT INTO ir_links (a, b, kind, rule, confidence, matched)
      SELECT DISTINCT e.from_id, r.id, 'can_assume', 'sso-permission-set', ${c('sso-permission-set')}, ps.name
      FROM identities p
      CROSS JOIN LATERAL (SELECT coalesce(p.attributes->>'permissionSet', (SELECT name FROM resources WHERE id = p.attributes->>'permissionSetArn')) AS name) ps
      JOIN edges e ON e.to_id = p.id AND e.kind = 'can_assume'
      JOIN identities r ON r.kind = 'role' AND r.id LIKE 'arn:%:role/%' AND coalesce(r.account, split_part(r.id, ':', 5)) = p.account
        AND left(r.name, length('AWSReservedSSO_' || ps.name || '_')) = 'AWSReservedSSO_' || ps.name || '_'
        AND length(r.name) = length('AWSReservedSSO_' || ps.name || '_') + 16
      WHERE p.id LIKE 'aws:sso-role:%' AND ps.name IS NOT NULL AND e.from_id <> r.id`);
    // ... and its sessions, named after the Identity Center user, are that user's.
    await tx.query(`
      INSERT INTO ir_links (a, b, kind, rule, confidence, matched, observed, first_seen, last_seen, count, evidence)
      SELECT u.id, s.actor_id, 'assumed', 'sso-session', ${c('sso-session')}, s.session_name, true, s.first_seen, s.last_seen, s.n, s.evidence
      FROM (
        SELECT ev.actor_id, split_part(ev.chain->>'session', '/', 3) AS session_name, min(ev.time) AS first_seen, max(ev.time) AS last_seen,
               count(*)::int AS n, (array_to_json((array_agg(ev.id ORDER BY ev.time DESC))[1:20]))::jsonb AS evidence
        FROM events ev
        WHERE ev.actor_id LIKE 'arn:%:role/%AWSReservedSSO\\_%' AND ev.chain->>'session' LIKE '%:assumed-role/%/%'
        GROUP BY 1, 2
      ) s
      JOIN LATERAL (
        SELECT i.id FROM identities i
        WHERE i.id LIKE 'aws:identity-center-user:%' AND i.id NOT LIKE 'aws:identity-center-user:%/%'
          AND (lower(i.attributes->>'userName') = lower(s.session_name) OR lower(i.email) = lower(s.session_name))
      ) u ON (SELECT count(*) FROM identities i2 WHERE i2.id LIKE 'aws:identity-center-user:%' AND i2.id NOT LIKE 'aws:identity-center-user:%/%'
              AND (lower(i2.attributes->>'userName') = lower(s.session_name) OR lower(i2.email) = lower(s.session_name))) = 1`);

    // Precision guards: never two HR people as one; never an account linked to two different HR people.
    await tx.query(`DELETE FROM ir_links WHERE kind = 'same_as' AND a LIKE 'hr:employee:%' AND b LIKE 'hr:employee:%'`);
    await tx.query(`
      WITH hr_links AS (
        SELECT a AS x, b AS hr FROM ir_links WHERE kind = 'same_as' AND b LIKE 'hr:employee:%'
        UNION SELECT b, a FROM ir_links WHERE kind = 'same_as' AND a LIKE 'hr:employee:%'),
      conflicted AS (SELECT x FROM hr_links GROUP BY x HAVING count(DISTINCT hr) > 1)
      DELETE FROM ir_links WHERE kind = 'same_as' AND (a IN (SELECT x FROM conflicted) OR b IN (SELECT x FROM conflicted))`);

    await tx.exec(`
      CREATE TEMP TABLE ir_final ON COMMIT DROP AS
      SELECT DISTINCT ON (CASE WHEN kind = 'same_as' THEN least(a, b) ELSE a END, kind, CASE WHEN kind = 'same_as' THEN greatest(a, b) ELSE b END) *
      FROM ir_links
      ORDER BY CASE WHEN kind = 'same_as' THEN least(a, b) ELSE a END, kind, CASE WHEN kind = 'same_as' THEN greatest(a, b) ELSE b END, confidence DESC, rule;
      ANALYZE ir_final;`);

    const [removed] = await tx.query<{ n: number }>(`
      WITH del AS (
        DELETE FROM edges e WHERE e.attributes->>'resolvedBy' = '${RESOLVED_BY}'
          AND NOT EXISTS (SELECT 1 FROM ir_final f WHERE f.a = e.from_id AND f.kind = e.kind AND f.b = e.to_id)
        RETURNING 1)
      SELECT count(*)::int AS n FROM del`);
    await tx.query(`
      INSERT INTO edges (from_id, kind, to_id, potential, observed, first_seen, last_seen, count, evidence, attributes)
      SELECT a, kind, b, NOT observed, observed, first_seen, last_seen, count,
             CASE WHEN jsonb_array_length(evidence) > 0 THEN evidence ELSE jsonb_build_array(a, b) END,
             jsonb_build_object('resolvedBy', '${RESOLVED_BY}', 'rule', rule, 'confidence', confidence, 'matched', matched)
      FROM ir_final f
      -- Links already stored as they are now are left alone: a re-run over an unchanged store writes nothing.
      WHERE NOT EXISTS (
        SELECT 1 FROM edges e WHERE e.from_id = f.a AND e.kind = f.kind AND e.to_id = f.b AND e.attributes->>'resolvedBy' = '${RESOLVED_BY}'
          AND e.attributes->>'rule' = f.rule AND e.attributes->>'matched' IS NOT DISTINCT FROM f.matched
          AND e.count = f.count AND e.last_seen IS NOT DISTINCT FROM f.last_seen AND e.first_seen IS NOT DISTINCT FROM f.first_seen)
      ON CONFLICT (from_id, kind, to_id) DO UPDATE SET
        potential = edges.potential OR excluded.potential,
        observed = edges.observed OR excluded.observed,
        first_seen = least(edges.first_seen, excluded.first_seen),
        last_seen = greatest(edges.last_seen, excluded.last_seen),
        count = CASE WHEN edges.attributes->>'resolvedBy' = '${RESOLVED_BY}' THEN excluded.count ELSE greatest(edges.count, excluded.count) END,
        evidence = CASE WHEN edges.attributes->>'resolvedBy' = '${RESOLVED_BY}' THEN excluded.evidence ELSE edges.evidence END,
        -- A fact a connector stated stays the connector's: only edges this engine made carry its mark.
        attributes = CASE WHEN edges.attributes->>'resolvedBy' = '${RESOLVED_BY}' THEN excluded.attributes ELSE edges.attributes END`);

    // A leaked secret (a secret scanning alert's fingerprint) that an agent or key holds: the alert names it.
    const [alerts] = await tx.query<{ n: number }>(`
      WITH matched AS (
        SELECT a.id, jsonb_agg(DISTINCT c.id) AS ids FROM alerts a
        JOIN credentials c ON c.fingerprint = a.detail->>'secretFingerprint'
        WHERE NOT a.credentials ? c.id GROUP BY a.id),
      upd AS (UPDATE alerts a SET credentials = a.credentials || m.ids FROM matched m WHERE a.id = m.id RETURNING 1)
      SELECT count(*)::int AS n FROM upd`);

    const counts = await tx.query<{ kind: string; n: number }>(`SELECT kind, count(*)::int AS n FROM ir_final GROUP BY kind`);
    const n = (k: string) => counts.find((r) => r.kind === k)?.n ?? 0;
    return { sameAs: n('same_as'), actsFor: n('acts_for'), canAssume: n('can_assume'), assumed: n('assumed'), removed: removed.n, alertsLinked: alerts.n };
  });
}
