import { MACHINE_KINDS } from '../../model/index.js';
import { PROVIDER_MANAGED_SQL } from '../inventory.js';

/**
 * The risk signals, one set-based query each over the whole store: every query returns
 * (identity_id, signal, evidence text[], detail) rows for every identity the signal holds for, and
 * scoreAll() weighs them (defaults.yaml, `CODE.signal`). No query runs per identity, so a re-score
 * costs a few scans and joins however many identities there are.
 *
 * Every query starts from the parameter row `p` (PARAMS), so that all take the same parameters:
 * the data's time (asOf) and the thresholds. ($2, the machine kinds, is kept for callers that filter
 * by it; the queries inline the model's fixed list.)
 */
export interface Signal {
  code: string;
  /** What the signal looks at (docs/engines.md has the table). */
  about: string;
  /** CTEs (without WITH) to put after `p`, or ''. */
  ctes: string;
  /** The final SELECT returning identity_id, signal, evidence, detail. */
  select: string;
  /** Stands in for the privilege-escalation engine (src/engines/privesc) when it is not there. */
  fallbackForPrivesc?: boolean;
}

export const PARAMS = `p AS (SELECT $1::timestamptz AS as_of, $2::text[] AS machine, $3::int AS stale_days, $4::int AS key_days,
  $5::float8 AS long_factor, $6::int AS lookback_days, $7::int AS reuse_networks, $8::int AS reuse_agents,
  $9::int AS wide_reach, $10::float8 AS unused_share, $11::int AS evidence_cap)`;

/** Owner statuses that mean nobody is accountable any more (as posture() counts them). */
const INACTIVE = `('terminated', 'inactive', 'disabled', 'suspended', 'deleted')`;
/** The model's machine kinds, as a list in the SQL (the model fixes them; no parameter needed). */
const MACHINE_LIST = `(${MACHINE_KINDS.map((k) => `'${k}'`).join(', ')})`;
const MACHINE = `i.kind IN ${MACHINE_LIST}`;
/** Machine identities a person is expected to drive by hand: not these (roles carry people through SSO). */
const NOT_DRIVEN_BY_PEOPLE = `i.kind IN ('service_account', 'api_key', 'workload', 'bot', 'ai_agent')`;
const SINCE = `(SELECT as_of - make_interval(days => lookback_days) FROM p)`;
const CAP = `(SELECT evidence_cap FROM p)`;
/** Accounts (AWS) that an inventory describes: trust from any other account is a third party's. */
const KNOWN_ACCOUNTS = `known_accounts AS (SELECT DISTINCT account FROM identities WHERE provider = 'aws' AND origin = 'inventory' AND account IS NOT NULL)`;
const PRIV_RANK = `CASE privilege WHEN 'admin' THEN 4 WHEN 'privesc' THEN 3 WHEN 'credential' THEN 2 WHEN 'write' THEN 1 ELSE 0 END`;
/** Verbs of calls that only read (CloudTrail's readOnly decides the rest). */
const READ_VERBS = '^(get|list|describe|head|search|query|scan|lookup|view|check|batchget|select|download|read|watch)';
/** Where PREP statements put the parameter row (replaced with PARAMS when run). */
export const PARAMS_MARK = '/*params*/';

/**
 * Aggregates several signals share, computed once per scoring into temporary tables (one pass over
 * entitlements, one over the look-back window of events per grouping), so that no signal scans the
 * event table again:
 * - risk_ent: per identity, its highest privilege and the policies that grant admin or escalation;
 * - risk_use: per actor, per service, its calls and whether any wrote;
 * - risk_cred_use: per long-lived credential, per network and client family, its calls and CI use;
 * - risk_people_use: the few events that show a person at the keyboard (sign-ins, browsers).
 */
export const PREP: string[] = [
  // The accountable owner of each ownable machine identity, ranked as ownersOf() ranks candidates.
  `CREATE TEMP TABLE risk_owner ON COMMIT DROP AS
    WITH ${PARAMS_MARK}, ownable AS (
      SELECT i.id FROM identities i WHERE ${MACHINE} AND i.status <> 'deleted' AND NOT ${PROVIDER_MANAGED_SQL}),
    cand AS (
      SELECT o.id, e.from_id AS owner_id, 'direct' AS via, e.attributes AS a FROM ownable o JOIN edges e ON e.to_id = o.id AND e.kind = 'owns'
      UNION ALL
      SELECT o.id, e.from_id, 'credential', e.attributes FROM ownable o
      JOIN edges h ON h.to_id = o.id AND h.kind = 'owns_credential' JOIN edges e ON e.to_id = h.from_id AND e.kind = 'owns'),
    best AS (
      SELECT DISTINCT ON (c.id) c.id, c.owner_id, ow.name AS o_name, ow.status AS o_status, ow.provider AS o_provider, lower(ow.email) AS o_email
      FROM cand c JOIN identities ow ON ow.id = c.owner_id
      ORDER BY c.id, (c.a->>'role' = 'owner') DESC, (c.via = 'direct') DESC, (c.a->>'confidence')::real DESC NULLS LAST, c.owner_id)
    SELECT o.id, b.owner_id, b.o_name, b.o_status, b.o_provider, b.o_email FROM ownable o LEFT JOIN best b ON b.id = o.id`,
  // People by e-mail, to follow an owning account to its HR record (and its status).
  `CREATE TEMP TABLE risk_people ON COMMIT DROP AS
    WITH ${PARAMS_MARK} SELECT DISTINCT ON (lower(email)) lower(email) AS email, id, name, status FROM identities
    WHERE provider = 'hr' AND kind = 'human' AND email IS NOT NULL ORDER BY lower(email), id`,
  `CREATE TEMP TABLE risk_ent ON COMMIT DROP AS
    WITH ${PARAMS_MARK} SELECT identity_id, max(${PRIV_RANK}) AS rank,
      (array_agg(source_policy) FILTER (WHERE privilege = 'admin'))[1:${CAP}] AS admin_policies,
      (array_agg(source_policy) FILTER (WHERE privilege = 'privesc'))[1:${CAP}] AS privesc_policies,
      (array_agg(source_policy) FILTER (WHERE privilege <> 'read'))[1:${CAP}] AS policies
    FROM entitlements WHERE effect = 'Allow' AND via NOT IN ('boundary', 'scp') GROUP BY identity_id`,
  // One scan of the look-back window feeds two groupings: calls per actor and service, and per
  // long-lived credential, network and client family.
  `CREATE TEMP TABLE risk_usage ON COMMIT DROP AS
    WITH ${PARAMS_MARK}, ev AS (
      SELECT e.actor_id, lower(split_part(e.service, '.', 1)) AS service, e.provider = 'aws' AND e.outcome = 'success' AS aws_ok,
        -- By the verb alone: reading each event's detail for CloudTrail's readOnly would cost more than the
        -- rest of the scoring, and the verb errs only towards "wrote" (AssumeRole), so towards fewer findings.
        e.action !~* '${READ_VERBS}' AS wrote, c.credential,
        CASE WHEN c.credential IS NULL THEN NULL WHEN e.source_kind IN ('ipv4', 'private') THEN regexp_replace(e.source_ip, '\\.\\d+$', '.0/24')
             WHEN e.source_kind = 'ipv6' THEN substring(lower(e.source_ip) from '^([0-9a-f]*:[0-9a-f]*:[0-9a-f]*)') || '::/48' END AS network,
        CASE WHEN c.credential IS NULL THEN NULL ELSE lower(substring(e.user_agent from '^[A-Za-z][A-Za-z0-9._-]*')) END AS agent,
        c.credential IS NOT NULL AND e.user_agent ~* '(github-actions|gitlab|jenkins|circleci|buildkite|bitbucket-pipelines|travis|teamcity|azure-pipelines|drone|argocd|spinnaker)' AS ci,
        e.id
      FROM events e
      CROSS JOIN LATERAL (SELECT CASE WHEN e.chain->>'credentialId' NOT LIKE 'aws:session-key:%' AND e.source_kind <> 'service'
                                      THEN e.chain->>'credentialId' END AS credential) c
      WHERE e.time > ${SINCE} AND e.provider <> 'copilot')
    SELECT actor_id, service, credential, network, agent,
      count(*) FILTER (WHERE aws_ok) AS calls, bool_or(wrote) FILTER (WHERE aws_ok) AS wrote,
      count(*) FILTER (WHERE credential IS NOT NULL) AS uses, max(id) FILTER (WHERE credential IS NOT NULL) AS sample, bool_or(ci) AS ci
    FROM ev GROUP BY GROUPING SETS ((actor_id, service), (credential, network, agent))`,
  `CREATE TEMP TABLE risk_use ON COMMIT DROP AS
    SELECT actor_id, service, calls AS n, wrote FROM risk_usage WHERE actor_id IS NOT NULL AND calls > 0`,
  `CREATE TEMP TABLE risk_cred_use ON COMMIT DROP AS
    SELECT credential, network, agent, uses AS n, sample, ci FROM risk_usage WHERE actor_id IS NULL AND credential IS NOT NULL`,
  `CREATE TEMP TABLE risk_people_use ON COMMIT DROP AS
    WITH ${PARAMS_MARK} SELECT e.actor_id, e.id, e.time, e.action, e.chain->>'mfa' AS mfa,
      e.action IN ('ConsoleLogin', 'UserSignIn') AS login
    FROM events e WHERE e.time > ${SINCE} AND e.provider <> 'copilot' AND e.outcome = 'success'
      AND (e.action IN ('ConsoleLogin', 'UserSignIn', 'NonInteractiveUserSignIn', 'user.session.start', 'user.authentication.sso')
        OR (e.user_agent LIKE 'Mozilla/%' AND e.user_agent !~* '(bot|crawler|spider|python|curl|okhttp|aws-sdk|boto)'))`,
];

export const SIGNALS: Signal[] = [
  {
    code: 'NHI1',
    about: 'orphaned machine identities: no accountable owner, or an owner who has left (the same rules as posture())',
    ctes: '',
    select: `SELECT r.id AS identity_id,
        CASE WHEN r.owner_id IS NULL THEN 'no_owner' ELSE 'owner_left' END AS signal,
        CASE WHEN r.owner_id IS NULL THEN ARRAY[r.id] ELSE ARRAY[coalesce(hr.id, r.owner_id)] END AS evidence,
        CASE WHEN r.owner_id IS NULL THEN 'no accountable owner' ELSE 'owner ' || coalesce(hr.name, r.o_name) || ' is ' || coalesce(hr.status, r.o_status) END AS detail
      FROM risk_owner r LEFT JOIN risk_people hr ON r.o_provider <> 'hr' AND hr.email = r.o_email
      WHERE r.owner_id IS NULL OR coalesce(hr.status, r.o_status) IN ${INACTIVE}`,
  },
  {
    code: 'NHI1',
    about: 'enabled machine identities whose own use and whose credentials\' use are older than staleAfterDays',
    ctes: `use AS (
        SELECT c.identity_id, max(c.last_used_at) AS last_used,
               array_agg(c.id ORDER BY c.id) FILTER (WHERE c.status = 'active') AS active_creds
        FROM credentials c WHERE c.type <> 'session_key' GROUP BY c.identity_id)`,
    select: `SELECT i.id, 'unused_enabled',
        coalesce(u.active_creds[1:${CAP}], ARRAY[i.id]),
        'enabled but ' || CASE WHEN greatest(i.last_seen_at, u.last_used) IS NULL THEN 'never used'
          ELSE 'last used ' || to_char(greatest(i.last_seen_at, u.last_used), 'YYYY-MM-DD') END
        || CASE WHEN u.active_creds IS NOT NULL THEN ', with ' || cardinality(u.active_creds) || ' active credential(s)' ELSE '' END
      FROM identities i LEFT JOIN use u ON u.identity_id = i.id, p
      WHERE ${MACHINE} AND i.status IN ('active', 'unknown') AND NOT ${PROVIDER_MANAGED_SQL}
        -- Instance profiles and certificates carry no record of use: silence there says nothing.
        AND i.kind NOT IN ('workload', 'certificate') AND i.origin <> 'log'
        AND i.created_at IS NOT NULL AND i.created_at < p.as_of - make_interval(days => p.stale_days)
        AND coalesce(greatest(i.last_seen_at, u.last_used), '-infinity') < p.as_of - make_interval(days => p.stale_days)
        AND (i.kind <> 'api_key' OR u.active_creds IS NOT NULL OR i.status = 'active')`,
  },
  {
    code: 'NHI2',
    about: 'secret-scanning and leaked-credential (T1552.001) alerts naming it or one of its credentials',
    ctes: `leak AS (
        SELECT id, coalesce(detail->>'state', 'open') AS state, identities, credentials FROM alerts
        WHERE source = 'github-secret-scanning' OR rule LIKE 'secret_scanning:%' OR mitre @> '["T1552.001"]'),
      named AS (
        SELECT l.id AS alert, x.v AS identity_id, l.state FROM leak l, jsonb_array_elements_text(l.identities) AS x(v)
        UNION SELECT l.id, c.identity_id, l.state FROM leak l, jsonb_array_elements_text(l.credentials) AS y(v) JOIN credentials c ON c.id = y.v
        UNION SELECT l.id, y.v, l.state FROM leak l, jsonb_array_elements_text(l.credentials) AS y(v))`,
    select: `SELECT n.identity_id, CASE WHEN bool_or(n.state <> 'resolved') THEN 'secret_leaked' ELSE 'secret_leaked_resolved' END,
        (array_agg(DISTINCT n.alert))[1:${CAP}],
        count(DISTINCT n.alert) || ' leaked-secret alert(s), ' || count(DISTINCT n.alert) FILTER (WHERE n.state <> 'resolved') || ' open'
      FROM named n JOIN identities i ON i.id = n.identity_id GROUP BY n.identity_id`,
  },
  {
    code: 'NHI3',
    about: 'roles another (not ingested) account can assume, worse without sts:ExternalId or with admin rights; apps people granted write scopes',
    ctes: `${KNOWN_ACCOUNTS},
      ext AS (
        SELECT e.to_id AS identity_id, e.from_id, e.conditions, coalesce(pr.rank, 0) AS rank
        FROM edges e JOIN identities f ON f.id = e.from_id LEFT JOIN risk_ent pr ON pr.identity_id = e.to_id
        WHERE e.kind = 'can_assume' AND f.provider = 'aws' AND f.account IS NOT NULL AND coalesce(f.attributes->>'federation', '') = ''
          AND f.account NOT IN (SELECT account FROM known_accounts))`,
    select: `SELECT x.identity_id,
        CASE WHEN max(x.rank) >= 3 THEN 'external_admin'
             WHEN bool_or(x.conditions IS NULL OR x.conditions::text NOT ILIKE '%sts:ExternalId%') THEN 'external_no_external_id'
             ELSE 'external_trust' END,
        (array_agg(DISTINCT x.from_id))[1:${CAP}],
        'assumable from outside the estate by ' || string_agg(DISTINCT x.from_id, ', ')
          || CASE WHEN max(x.rank) >= 4 THEN ' (holds admin rights)' WHEN max(x.rank) = 3 THEN ' (can escalate privileges)' ELSE '' END
          || CASE WHEN bool_or(x.conditions IS NULL OR x.conditions::text NOT ILIKE '%sts:ExternalId%') THEN ', no sts:ExternalId condition' ELSE '' END
      FROM ext x GROUP BY x.identity_id
      UNION ALL
      SELECT e.to_id, 'third_party_grant', (array_agg(DISTINCT e.from_id))[1:${CAP}],
        count(DISTINCT e.from_id) || ' person(s) granted it write or admin scopes'
      FROM edges e JOIN identities i ON i.id = e.to_id
      WHERE e.kind = 'granted' AND i.kind = 'oauth_app' AND e.attributes::text ~* '(write|admin|manage|full|\\.all\\M|delete|send|repo\\M)'
      GROUP BY e.to_id`,
  },
  {
    code: 'NHI4',
    about: 'machine identities with a console password and no MFA, sign-ins without MFA, apps authenticating with client secrets',
    ctes: `nomfa AS (
        SELECT e.actor_id AS identity_id, array_agg(e.id ORDER BY e.time DESC) AS events
        FROM risk_people_use e JOIN identities i ON i.id = e.actor_id
        WHERE e.mfa = 'false' AND e.action IN ('ConsoleLogin', 'UserSignIn', 'NonInteractiveUserSignIn', 'user.session.start', 'user.authentication.sso')
          AND ${MACHINE}
        GROUP BY e.actor_id)`,
    select: `SELECT i.id, 'password_no_mfa', ARRAY[i.id], 'console password enabled, no MFA device'
      FROM identities i WHERE ${MACHINE} AND i.attributes->>'passwordEnabled' = 'true' AND i.attributes->>'mfaActive' = 'false'
      UNION ALL
      SELECT identity_id, 'login_without_mfa', events[1:${CAP}], cardinality(events) || ' sign-in(s) without MFA' FROM nomfa
      UNION ALL
      SELECT c.identity_id, 'client_secret', (array_agg(c.id))[1:${CAP}], count(*) || ' active client secret(s)'
      FROM credentials c JOIN identities i ON i.id = c.identity_id
      WHERE c.type = 'client_secret' AND c.status IN ('active', 'unknown') AND ${MACHINE} GROUP BY c.identity_id`,
  },
  {
    code: 'NHI5',
    about: 'admin or privilege-escalation entitlements; write-or-more granted but only reads (or few of its services) used in lookbackDays',
    ctes: `used AS (
        SELECT actor_id AS identity_id, array_agg(service) AS services, bool_or(wrote) AS wrote, sum(n)::bigint AS n FROM risk_use GROUP BY actor_id),
      active AS (
        SELECT g.identity_id, g.rank, g.policies, u.services, u.wrote, u.n FROM risk_ent g JOIN used u ON u.identity_id = g.identity_id
        JOIN identities i ON i.id = g.identity_id WHERE g.rank >= 1 AND ${MACHINE}),
      granted_services AS (
        SELECT a.identity_id, bool_or(x.v = '*' OR x.v LIKE '*:%') AS star, array_agg(DISTINCT lower(split_part(x.v, ':', 1))) AS services
        FROM active a JOIN entitlements n ON n.identity_id = a.identity_id, jsonb_array_elements_text(n.actions) AS x(v)
        WHERE n.effect = 'Allow' AND n.via NOT IN ('boundary', 'scp') AND a.wrote GROUP BY a.identity_id)`,
    select: `SELECT g.identity_id, 'admin', g.admin_policies, 'admin rights through ' || array_to_string(g.admin_policies[1:3], ', ')
      FROM risk_ent g JOIN identities i ON i.id = g.identity_id WHERE g.rank = 4 AND ${MACHINE}
      UNION ALL
      SELECT a.identity_id, 'unused_privilege', a.policies,
        'granted ' || CASE a.rank WHEN 4 THEN 'admin' WHEN 3 THEN 'privilege escalation' WHEN 2 THEN 'credential access' ELSE 'write' END
          || ', used only reads in ' || a.n || ' calls'
      FROM active a WHERE NOT a.wrote
      UNION ALL
      SELECT a.identity_id, 'unused_privilege', a.policies,
        'uses ' || cardinality(ARRAY(SELECT unnest(a.services) INTERSECT SELECT unnest(s.services))) || ' of ' || cardinality(s.services) || ' granted services'
      FROM active a JOIN granted_services s ON s.identity_id = a.identity_id, p
      WHERE NOT s.star AND cardinality(s.services) >= 5
        AND cardinality(ARRAY(SELECT unnest(a.services) INTERSECT SELECT unnest(s.services)))::float8 / cardinality(s.services) <= p.unused_share`,
  },
  {
    code: 'NHI5',
    about: 'entitlements at privilege-escalation level (only when the privesc engine is absent or fails)',
    fallbackForPrivesc: true,
    ctes: '',
    select: `SELECT g.identity_id, 'privesc', g.privesc_policies, 'can change permissions (escalation) through ' || array_to_string(g.privesc_policies[1:3], ', ')
      FROM risk_ent g JOIN identities i ON i.id = g.identity_id WHERE g.rank = 3 AND ${MACHINE}`,
  },
  {
    code: 'NHI6',
    about: 'trust policies open to anyone, OIDC federation without a strict sub condition, long-lived keys used by CI/CD',
    ctes: `ci AS (SELECT DISTINCT credential FROM risk_cred_use WHERE ci AND credential LIKE 'aws:access-key:%')`,
    select: `SELECT e.to_id, 'public_trust', ARRAY[e.from_id], 'anyone (Principal "*") can assume it'
      FROM edges e WHERE e.kind = 'can_assume' AND e.from_id = 'aws:principal:*'
        AND (e.conditions IS NULL OR e.conditions::text !~* '(PrincipalOrgID|PrincipalAccount|SourceAccount|SourceArn|SourceOwner|PrincipalArn)')
      UNION ALL
      SELECT e.to_id, CASE WHEN e.conditions IS NULL OR e.conditions::text !~ ':sub"' THEN 'oidc_no_sub' ELSE 'oidc_wildcard_sub' END,
        ARRAY[e.from_id],
        CASE WHEN e.conditions IS NULL OR e.conditions::text !~ ':sub"' THEN 'OIDC trust of ' || e.from_id || ' without a sub condition: any workload of the issuer'
             ELSE 'OIDC trust of ' || e.from_id || ' with a wildcard sub: ' || coalesce(substring(e.conditions::text from ':sub"\\s*:\\s*(\\[[^\\]]*\\]|"[^"]*")'), '') END
      FROM edges e WHERE e.kind = 'can_assume' AND e.attributes->>'federation' = 'oidc'
        AND (e.conditions IS NULL OR e.conditions::text !~ ':sub"' OR e.conditions::text ~ ':sub"\\s*:\\s*("[^"]*\\*|\\[[^\\]]*\\*)')
      UNION ALL
      SELECT c.identity_id, 'static_ci_key', (array_agg(c.id))[1:${CAP}], 'long-lived access key(s) used by CI/CD: ' || string_agg(c.id, ', ')
      FROM credentials c JOIN identities i ON i.id = c.identity_id
      WHERE c.type = 'access_key' AND c.status IN ('active', 'unknown')
        AND (c.id IN (SELECT credential FROM ci)
          OR i.name ~* '(^|[-_./])(ci|cicd|github|gitlab|jenkins|circleci|buildkite|travis|bitbucket|teamcity|argocd)([-_./]|$)')
      GROUP BY c.identity_id`,
  },
  {
    code: 'NHI7',
    about: 'active keys, tokens and secrets older than keyMaxAgeDays without rotation, or that never expire',
    ctes: `old AS (
        SELECT c.id, c.identity_id, c.type, c.expires_at,
               extract(epoch FROM (p.as_of - coalesce(c.last_rotated_at, c.created_at))) / 86400 AS age_days, p.key_days, p.long_factor
        FROM credentials c, p
        WHERE c.status = 'active' AND c.type NOT IN ('session_key', 'password', 'oauth_refresh_token')),
      holders AS (
        SELECT identity_id, id, type, age_days, key_days, long_factor, expires_at FROM old
        UNION ALL SELECT id, id, type, age_days, key_days, long_factor, expires_at FROM old WHERE id IN (SELECT id FROM identities))`,
    select: `SELECT h.identity_id, CASE WHEN max(h.age_days) > max(h.key_days * h.long_factor) THEN 'very_long_lived' ELSE 'long_lived' END,
        (array_agg(h.id ORDER BY h.age_days DESC))[1:${CAP}],
        count(*) || ' credential(s) older than ' || max(h.key_days) || ' days, oldest ' || floor(max(h.age_days)) || ' days'
      FROM holders h WHERE h.age_days > h.key_days GROUP BY h.identity_id
      UNION ALL
      SELECT h.identity_id, 'no_expiry', (array_agg(h.id))[1:${CAP}], count(*) || ' token(s) or secret(s) without an expiry'
      FROM holders h WHERE h.expires_at IS NULL AND h.type IN ('api_token', 'personal_access_token', 'client_secret', 'service_account_key')
      GROUP BY h.identity_id`,
  },
  {
    code: 'NHI8',
    about: 'delegation or access between prod and dev/staging, observed in logs or allowed by configuration',
    ctes: `cross_env AS (
        SELECT e.from_id, e.to_id, e.kind, e.observed, f.environment AS f_env, coalesce(t.environment, r.environment) AS t_env,
               f.kind AS f_kind, t.kind AS t_kind
        FROM edges e JOIN identities f ON f.id = e.from_id
        LEFT JOIN identities t ON t.id = e.to_id LEFT JOIN resources r ON r.id = e.to_id AND t.id IS NULL
        WHERE e.kind IN ('can_assume', 'assumed', 'impersonates', 'federates_to', 'runs_as', 'can_access', 'acts_for')
          AND f.environment IN ('prod', 'dev', 'staging') AND coalesce(t.environment, r.environment) IN ('prod', 'dev', 'staging')
          AND (f.environment = 'prod') <> (coalesce(t.environment, r.environment) = 'prod')),
      sides AS (
        SELECT from_id AS identity_id, to_id AS other, observed, f_env AS env, t_env AS other_env, kind FROM cross_env WHERE f_kind IN ${MACHINE_LIST}
        UNION ALL
        SELECT to_id, from_id, observed, t_env, f_env, kind FROM cross_env WHERE t_kind IN ${MACHINE_LIST})`,
    select: `SELECT s.identity_id, CASE WHEN bool_or(s.observed) THEN 'cross_env_observed' ELSE 'cross_env_potential' END,
        (array_agg(DISTINCT s.other))[1:${CAP}],
        'crosses ' || string_agg(DISTINCT s.env || '->' || s.other_env, ', ') || ' (' || count(DISTINCT s.other) || ' link(s)'
          || CASE WHEN bool_or(s.observed) THEN ', seen in logs' ELSE ', configured' END || ')'
      FROM sides s GROUP BY s.identity_id`,
  },
  {
    code: 'NHI9',
    about: 'one long-lived credential used from reuseNetworks or more networks, or by reuseAgents or more different clients',
    ctes: `uses AS (
        SELECT credential, count(DISTINCT network) AS networks, count(DISTINCT agent) AS agents, (array_agg(sample))[1:3] AS sample
        FROM risk_cred_use GROUP BY credential),
      reused AS (
        SELECT u.*, c.identity_id FROM uses u JOIN credentials c ON c.id = u.credential, p
        WHERE c.type <> 'session_key' AND (u.networks >= p.reuse_networks OR u.agents >= p.reuse_agents))`,
    select: `SELECT r.identity_id, CASE WHEN max(r.networks) >= (SELECT reuse_networks FROM p) THEN 'many_networks' ELSE 'many_workloads' END,
        (array_agg(r.credential) || array_agg(r.sample[1]))[1:${CAP}],
        string_agg(r.credential || ' used from ' || r.networks || ' networks by ' || r.agents || ' kinds of client', '; ')
      FROM reused r GROUP BY r.identity_id
      UNION ALL
      SELECT r.credential, CASE WHEN r.networks >= (SELECT reuse_networks FROM p) THEN 'many_networks' ELSE 'many_workloads' END,
        ARRAY[r.credential] || r.sample, 'used from ' || r.networks || ' networks by ' || r.agents || ' kinds of client'
      FROM reused r WHERE r.credential IN (SELECT id FROM identities)`,
  },
  {
    code: 'NHI10',
    about: 'machine identities signing in to consoles, driven from browsers, or signing in interactively',
    ctes: `human_use AS (
        SELECT e.actor_id AS identity_id, e.id, e.time, e.login
        FROM risk_people_use e JOIN identities i ON i.id = e.actor_id
        WHERE ${NOT_DRIVEN_BY_PEOPLE} AND (e.login OR e.action NOT IN ('NonInteractiveUserSignIn', 'user.session.start', 'user.authentication.sso')))`,
    select: `SELECT h.identity_id, CASE WHEN bool_or(h.login) THEN 'console_login' ELSE 'browser' END,
        (array_agg(h.id ORDER BY h.login DESC, h.time DESC))[1:${CAP}],
        count(*) FILTER (WHERE h.login) || ' console or interactive sign-in(s), ' || count(*) FILTER (WHERE NOT h.login) || ' call(s) from a browser'
      FROM human_use h GROUP BY h.identity_id`,
  },
  {
    code: 'DETECTION',
    about: 'alerts from rules and vendors (GuardDuty, Okta, Entra, copilot:rules) naming it in lookbackDays, by their highest severity',
    ctes: `named AS (
        SELECT x.v AS identity_id, a.id, a.severity, a.time FROM alerts a, jsonb_array_elements_text(a.identities) AS x(v)
        WHERE a.time > ${SINCE} AND a.source <> 'copilot:baseline' AND a.severity <> 'info')`,
    select: `SELECT n.identity_id, (array_agg(n.severity ORDER BY ${sevRank('n.severity')} DESC))[1],
        (array_agg(n.id ORDER BY ${sevRank('n.severity')} DESC, n.time DESC))[1:${CAP}],
        count(*) || ' alert(s), highest ' || (array_agg(n.severity ORDER BY ${sevRank('n.severity')} DESC))[1]
      FROM named n JOIN identities i ON i.id = n.identity_id GROUP BY n.identity_id`,
  },
  {
    code: 'BEHAVIOUR',
    about: 'copilot:baseline alerts (it acted unlike its own history) in lookbackDays, by their highest severity',
    ctes: `named AS (
        SELECT a.identities->>0 AS identity_id, a.id, a.severity, a.time, a.detail->>'kind' AS kind FROM alerts a
        WHERE a.time > ${SINCE} AND a.source = 'copilot:baseline' AND a.severity IN ('low', 'medium', 'high', 'critical'))`,
    select: `SELECT n.identity_id, CASE WHEN max(${sevRank('n.severity')}) >= 3 THEN 'high' WHEN max(${sevRank('n.severity')}) = 2 THEN 'medium' ELSE 'low' END,
        (array_agg(n.id ORDER BY ${sevRank('n.severity')} DESC, n.time DESC))[1:${CAP}],
        'deviated from its baseline: ' || string_agg(DISTINCT replace(n.kind, '_', ' '), ', ')
      FROM named n JOIN identities i ON i.id = n.identity_id GROUP BY n.identity_id`,
  },
  {
    code: 'BLAST',
    about: 'can act as an admin within two hops, reaches restricted or confidential resources, or can act as many identities',
    ctes: `fwd AS (
        SELECT from_id, to_id FROM edges
        WHERE kind IN ('can_assume', 'assumed', 'impersonates', 'federates_to', 'runs_as', 'member_of', 'owns_credential', 'authenticates_as', 'acts_for')
          AND from_id <> to_id AND from_id <> 'aws:principal:*'),
      admins AS (SELECT identity_id FROM risk_ent WHERE rank = 4),
      admin_reach AS (
        SELECT f.from_id AS identity_id, f.to_id AS admin FROM fwd f JOIN admins a ON a.identity_id = f.to_id
        UNION
        SELECT f1.from_id, f2.to_id FROM fwd f2 JOIN admins a ON a.identity_id = f2.to_id JOIN fwd f1 ON f1.to_id = f2.from_id
        WHERE f1.from_id <> f2.to_id),
      sensitive AS (
        SELECT e.from_id AS identity_id, e.to_id AS resource, r.classification FROM edges e JOIN resources r ON r.id = e.to_id
        WHERE e.kind = 'can_access' AND (r.classification IN ('restricted', 'confidential') OR coalesce(r.tags->>'crown-jewel', '') ~* '^(true|yes|1)$')),
      outdeg AS (SELECT from_id, count(*) AS n FROM fwd GROUP BY from_id),
      wide AS (
        SELECT f.from_id AS identity_id, count(DISTINCT f.to_id) + coalesce(sum(o.n), 0) AS reach
        FROM fwd f LEFT JOIN outdeg o ON o.from_id = f.to_id GROUP BY f.from_id)`,
    select: `SELECT r.identity_id, 'admin_reach', (array_agg(DISTINCT r.admin))[1:${CAP}], 'can act as ' || count(DISTINCT r.admin) || ' identity(ies) holding admin rights'
      FROM admin_reach r JOIN identities i ON i.id = r.identity_id WHERE NOT ${PROVIDER_MANAGED_SQL} GROUP BY r.identity_id
      UNION ALL
      SELECT s.identity_id, 'sensitive_reach', (array_agg(DISTINCT s.resource))[1:${CAP}],
        'reaches ' || count(DISTINCT s.resource) || ' sensitive resource(s) (' || string_agg(DISTINCT coalesce(s.classification, 'crown jewel'), ', ') || ')'
      FROM sensitive s JOIN identities i ON i.id = s.identity_id GROUP BY s.identity_id
      UNION ALL
      SELECT w.identity_id, 'wide_reach', ARRAY[w.identity_id], 'can act as up to ' || w.reach || ' identities within two hops'
      FROM wide w JOIN identities i ON i.id = w.identity_id, p WHERE w.reach >= p.wide_reach AND NOT ${PROVIDER_MANAGED_SQL}`,
  },
  {
    code: 'AUTONOMY',
    about: 'AI agents by autonomy, and the identities such an agent can act as',
    ctes: `agents AS (SELECT id, autonomy FROM identities WHERE kind = 'ai_agent' AND autonomy IN ('full', 'partial', 'assisted'))`,
    select: `SELECT a.id, a.autonomy, ARRAY[a.id], 'an AI agent with ' || a.autonomy || ' autonomy' FROM agents a
      UNION ALL
      SELECT e.to_id, (array_agg(a.autonomy ORDER BY CASE a.autonomy WHEN 'full' THEN 3 WHEN 'partial' THEN 2 ELSE 1 END DESC))[1],
        (array_agg(DISTINCT a.id))[1:${CAP}], 'an AI agent can act as it: ' || string_agg(DISTINCT a.id, ', ')
      FROM agents a JOIN edges e ON e.from_id = a.id
      JOIN identities t ON t.id = e.to_id
      WHERE e.kind IN ('acts_for', 'can_assume', 'assumed', 'impersonates', 'owns_credential', 'authenticates_as', 'runs_as', 'federates_to') AND t.kind <> 'ai_agent'
      GROUP BY e.to_id`,
  },
];

function sevRank(expr: string): string {
  return `CASE ${expr} WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END`;
}

/** Titles of the copilot's own factor codes (OWASP codes take OWASP_NHI_TITLES). */
export const OWN_TITLES: Record<string, string> = {
  DETECTION: 'Alerts from detectors',
  BEHAVIOUR: 'Behaviour unlike its own history',
  BLAST: 'Blast radius',
  AUTONOMY: 'Autonomy of the agents involved',
};
