-- The canonical model (src/model) as tables. Lists are jsonb arrays; times are timestamptz (UTC).
-- Identity data is written only by ingestion; engines read it.

CREATE TABLE identities (
  id            text PRIMARY KEY,
  kind          text NOT NULL,
  provider      text NOT NULL,
  name          text NOT NULL,
  email         text,
  account       text,
  environment   text NOT NULL DEFAULT 'unknown',
  status        text NOT NULL DEFAULT 'unknown',
  created_at    timestamptz,
  last_seen_at  timestamptz,
  autonomy      text,
  tags          jsonb NOT NULL DEFAULT '{}',
  attributes    jsonb NOT NULL DEFAULT '{}',
  origin        text NOT NULL DEFAULT 'inventory'
);
CREATE INDEX identities_kind ON identities (kind);
CREATE INDEX identities_provider ON identities (provider);
CREATE INDEX identities_lower_name ON identities (lower(name));
CREATE INDEX identities_lower_email ON identities (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX identities_account ON identities (account);

CREATE TABLE credentials (
  id               text PRIMARY KEY,
  identity_id      text NOT NULL,
  type             text NOT NULL,
  fingerprint      text NOT NULL,
  created_at       timestamptz,
  last_used_at     timestamptz,
  expires_at       timestamptz,
  last_rotated_at  timestamptz,
  status           text NOT NULL DEFAULT 'unknown',
  attributes       jsonb NOT NULL DEFAULT '{}',
  origin           text NOT NULL DEFAULT 'inventory'
);
CREATE INDEX credentials_identity ON credentials (identity_id);

-- One row per (from, kind, to). Observed counts are distinct events: they grow only with events
-- that were new to the store, so re-ingesting a log cannot double them.
CREATE TABLE edges (
  from_id     text NOT NULL,
  kind        text NOT NULL,
  to_id       text NOT NULL,
  potential   boolean NOT NULL DEFAULT false,
  observed    boolean NOT NULL DEFAULT false,
  first_seen  timestamptz,
  last_seen   timestamptz,
  count       integer NOT NULL DEFAULT 0,
  conditions  jsonb,
  evidence    jsonb NOT NULL DEFAULT '[]',
  attributes  jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (from_id, kind, to_id)
);
CREATE INDEX edges_to ON edges (to_id, kind);

CREATE TABLE policies (
  id          text PRIMARY KEY,
  provider    text NOT NULL,
  name        text NOT NULL,
  kind        text NOT NULL,
  document    jsonb,
  attributes  jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE entitlements (
  id             text PRIMARY KEY,
  identity_id    text NOT NULL,
  effect         text NOT NULL,
  actions        jsonb NOT NULL DEFAULT '[]',
  not_actions    jsonb NOT NULL DEFAULT '[]',
  resources      jsonb NOT NULL DEFAULT '[]',
  not_resources  jsonb NOT NULL DEFAULT '[]',
  conditions     jsonb,
  privilege      text NOT NULL,
  source_policy  text NOT NULL,
  via            text NOT NULL DEFAULT 'direct',
  via_id         text
);
CREATE INDEX entitlements_identity ON entitlements (identity_id);
CREATE INDEX entitlements_policy ON entitlements (source_policy);

CREATE TABLE events (
  id           text PRIMARY KEY,
  time         timestamptz NOT NULL,
  provider     text NOT NULL,
  service      text NOT NULL DEFAULT '',
  action       text NOT NULL,
  outcome      text NOT NULL DEFAULT 'unknown',
  error_code   text,
  actor_id     text NOT NULL,
  chain        jsonb NOT NULL DEFAULT '{}',
  target       text,
  resources    jsonb NOT NULL DEFAULT '[]',
  source_ip    text,
  source_kind  text NOT NULL DEFAULT 'unknown',
  user_agent   text,
  region       text,
  account      text,
  raw_ref      text,
  detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_actor_time ON events (actor_id, time);
CREATE INDEX events_time ON events (time);

CREATE TABLE alerts (
  id           text PRIMARY KEY,
  time         timestamptz NOT NULL,
  source       text NOT NULL,
  severity     text NOT NULL,
  title        text NOT NULL,
  description  text NOT NULL DEFAULT '',
  rule         text,
  identities   jsonb NOT NULL DEFAULT '[]',
  credentials  jsonb NOT NULL DEFAULT '[]',
  events       jsonb NOT NULL DEFAULT '[]',
  entities     jsonb NOT NULL DEFAULT '{}',
  mitre        jsonb NOT NULL DEFAULT '[]',
  confidence   real NOT NULL DEFAULT 0.7,
  raw_ref      text,
  detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alerts_time ON alerts (time);

CREATE TABLE resources (
  id              text PRIMARY KEY,
  provider        text NOT NULL,
  type            text NOT NULL,
  name            text NOT NULL,
  account         text,
  environment     text NOT NULL DEFAULT 'unknown',
  classification  text,
  tags            jsonb NOT NULL DEFAULT '{}',
  attributes      jsonb NOT NULL DEFAULT '{}'
);

-- Ownership as sources state it; the ownership engine resolves claims to `owns` edges.
CREATE TABLE owner_claims (
  target      text NOT NULL,
  ref         text NOT NULL,
  ref_type    text NOT NULL,
  role        text NOT NULL DEFAULT 'owner',
  source      text NOT NULL,
  confidence  real NOT NULL,
  evidence    jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (target, ref, ref_type, role, source)
);

-- What was ingested, when, with what result (one row per file per run).
CREATE TABLE ingest_log (
  id           bigserial PRIMARY KEY,
  path         text NOT NULL,
  format       text,
  records      integer NOT NULL DEFAULT 0,
  loaded       integer NOT NULL DEFAULT 0,
  rejected     integer NOT NULL DEFAULT 0,
  error        text,
  ingested_at  timestamptz NOT NULL DEFAULT now()
);
