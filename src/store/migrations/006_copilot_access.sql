-- The copilot's own identity and access (src/audit, src/mcp): bearer tokens (stored hashed), the
-- append-only hash-chained audit log, and, on a PostgreSQL server, the two database roles that keep the
-- analysis side from writing identity data.

-- A token is `idc_<id>_<secret>`; only sha256(token) is kept, so a copy of this table grants nothing.
CREATE TABLE api_tokens (
  id              text PRIMARY KEY,
  principal       text NOT NULL,
  -- The kind of the principal's identity in the inventory (`copilot:principal:<name>`).
  principal_kind  text NOT NULL DEFAULT 'human',
  scopes          jsonb NOT NULL,
  roles           jsonb NOT NULL DEFAULT '[]',
  hash            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  created_by      text NOT NULL,
  expires_at      timestamptz NOT NULL,
  revoked_at      timestamptz,
  revoked_reason  text,
  -- Set on the old token when it is rotated: the token that replaced it.
  rotated_to      text,
  last_used_at    timestamptz,
  note            text NOT NULL DEFAULT ''
);
CREATE INDEX api_tokens_principal ON api_tokens (principal);

-- One chain per writer (a process): `n` counts 1, 2, 3 ... without gaps, and each record's hash covers
-- the previous record's hash, so a changed, deleted or reordered record breaks the chain at a named place.
-- A writer's first record chains from the latest record in the table when it started (or the genesis
-- hash), which links the writers' chains together. `args` is the exact canonical JSON that was hashed.
CREATE TABLE audit_log (
  writer         text NOT NULL,
  n              integer NOT NULL,
  prev_hash      text NOT NULL,
  hash           text NOT NULL,
  -- null: plain sha256; otherwise HMAC-SHA256 with the key whose fingerprint this is (IDCOPILOT_AUDIT_KEY).
  key_id         text,
  time           timestamptz NOT NULL,
  principal      text NOT NULL,
  transport      text NOT NULL,
  kind           text NOT NULL,
  name           text NOT NULL,
  args           text NOT NULL,
  -- Canonical JSON of where the call came from: { ip, userAgent, session } as far as the transport knows.
  client         text NOT NULL DEFAULT '{}',
  result_digest  text,
  duration_ms    double precision NOT NULL,
  outcome        text NOT NULL,
  error          text,
  PRIMARY KEY (writer, n)
);
CREATE INDEX audit_log_time ON audit_log (time);
CREATE INDEX audit_log_principal ON audit_log (principal, time);

-- Append-only for everyone but a superuser who disables the trigger (and `audit verify` catches that).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Database roles, on a PostgreSQL server only (PGlite has one user and one process):
-- - idcopilot_analysis (serve, lookup, trace, triage): reads the identity data, writes only the copilot's
--   own tables (audit, incidents, derived scores and embeddings) and, in the shared tables, only rows
--   about the copilot itself (provider 'copilot', ids 'copilot:...'), enforced by row-level security.
-- - idcopilot_ingest (ingest, watch): writes identity data; appends to the audit log.
-- Both are NOLOGIN groups: create login users in them (README, docs/mcp.md). Tables created by later
-- migrations are readable by both and writable by ingest (default privileges); a later table the
-- analysis side writes calls idcopilot_grant_analysis_write('table').
CREATE FUNCTION idcopilot_grant_analysis_write(VARIADIC tables text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t text;
BEGIN
  IF version() LIKE '%PGlite%' OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'idcopilot_analysis') THEN
    RETURN;
  END IF;
  FOREACH t IN ARRAY tables LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO idcopilot_analysis', t);
  END LOOP;
END $$;

DO $$
DECLARE
  identity_data text[] := ARRAY['identities', 'credentials', 'edges', 'policies', 'entitlements', 'events',
                                'alerts', 'resources', 'owner_claims', 'ingest_log'];
  t text;
BEGIN
  IF version() LIKE '%PGlite%' THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
    RAISE NOTICE 'idcopilot: % may not create roles; idcopilot_analysis and idcopilot_ingest were not created', current_user;
    RETURN;
  END IF;
  -- Roles belong to the server, not to one database: another database may have created them already.
  -- Two databases migrating at once may race to create them: the loser finds them there.
  BEGIN
    CREATE ROLE idcopilot_analysis NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  BEGIN
    CREATE ROLE idcopilot_ingest NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO idcopilot_analysis, idcopilot_ingest', current_database());
  GRANT USAGE ON SCHEMA public TO idcopilot_analysis, idcopilot_ingest;
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO idcopilot_analysis, idcopilot_ingest;

  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    IF t = 'schema_migrations' THEN
      EXECUTE format('GRANT SELECT ON %I TO idcopilot_analysis, idcopilot_ingest', t);
    ELSIF t = 'api_tokens' THEN
      -- Only the server verifies tokens; creating and revoking them is the owner's job.
      GRANT SELECT, UPDATE (last_used_at) ON api_tokens TO idcopilot_analysis;
    ELSIF t = 'audit_log' THEN
      GRANT SELECT, INSERT ON audit_log TO idcopilot_analysis, idcopilot_ingest;
    ELSIF t = ANY (identity_data) THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO idcopilot_ingest', t);
      EXECUTE format('GRANT SELECT ON %I TO idcopilot_analysis', t);
    ELSE
      -- Derived and copilot-own tables (embeddings, findings, baselines, incidents and their history).
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO idcopilot_analysis, idcopilot_ingest', t);
    END IF;
  END LOOP;

  -- The analysis side keeps the copilot's own identity, its principals and its audit events current,
  -- and nothing else in the identity data.
  GRANT INSERT, UPDATE ON identities, edges, owner_claims TO idcopilot_analysis;
  GRANT DELETE ON owner_claims TO idcopilot_analysis;
  GRANT INSERT ON events TO idcopilot_analysis;
  ALTER TABLE identities ENABLE ROW LEVEL SECURITY;
  ALTER TABLE edges ENABLE ROW LEVEL SECURITY;
  ALTER TABLE events ENABLE ROW LEVEL SECURITY;
  ALTER TABLE owner_claims ENABLE ROW LEVEL SECURITY;
  DROP POLICY IF EXISTS idc_ingest ON identities;
  DROP POLICY IF EXISTS idc_ingest ON edges;
  DROP POLICY IF EXISTS idc_ingest ON events;
  DROP POLICY IF EXISTS idc_ingest ON owner_claims;
  CREATE POLICY idc_ingest ON identities TO idcopilot_ingest USING (true) WITH CHECK (true);
  CREATE POLICY idc_ingest ON edges TO idcopilot_ingest USING (true) WITH CHECK (true);
  CREATE POLICY idc_ingest ON events TO idcopilot_ingest USING (true) WITH CHECK (true);
  CREATE POLICY idc_ingest ON owner_claims TO idcopilot_ingest USING (true) WITH CHECK (true);
  CREATE POLICY idc_analysis_read ON identities FOR SELECT TO idcopilot_analysis USING (true);
  CREATE POLICY idc_analysis_read ON edges FOR SELECT TO idcopilot_analysis USING (true);
  CREATE POLICY idc_analysis_read ON events FOR SELECT TO idcopilot_analysis USING (true);
  CREATE POLICY idc_analysis_read ON owner_claims FOR SELECT TO idcopilot_analysis USING (true);
  CREATE POLICY idc_analysis_own_insert ON identities FOR INSERT TO idcopilot_analysis WITH CHECK (provider = 'copilot' AND id LIKE 'copilot:%');
  CREATE POLICY idc_analysis_own_update ON identities FOR UPDATE TO idcopilot_analysis
    USING (provider = 'copilot' AND id LIKE 'copilot:%') WITH CHECK (provider = 'copilot' AND id LIKE 'copilot:%');
  CREATE POLICY idc_analysis_own_insert ON edges FOR INSERT TO idcopilot_analysis WITH CHECK (to_id LIKE 'copilot:%');
  CREATE POLICY idc_analysis_own_update ON edges FOR UPDATE TO idcopilot_analysis
    USING (to_id LIKE 'copilot:%') WITH CHECK (to_id LIKE 'copilot:%');
  CREATE POLICY idc_analysis_own_insert ON events FOR INSERT TO idcopilot_analysis WITH CHECK (provider = 'copilot' AND id LIKE 'copilot:audit:%');
  CREATE POLICY idc_analysis_own_insert ON owner_claims FOR INSERT TO idcopilot_analysis WITH CHECK (target LIKE 'copilot:%' AND source = 'config');
  CREATE POLICY idc_analysis_own_update ON owner_claims FOR UPDATE TO idcopilot_analysis
    USING (target LIKE 'copilot:%' AND source = 'config') WITH CHECK (target LIKE 'copilot:%' AND source = 'config');
  CREATE POLICY idc_analysis_own_delete ON owner_claims FOR DELETE TO idcopilot_analysis
    USING (target LIKE 'copilot:%' AND source = 'config');

  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO idcopilot_analysis;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO idcopilot_ingest;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO idcopilot_analysis, idcopilot_ingest;
END $$;
