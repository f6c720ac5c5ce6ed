-- Incidents: the copilot's own tables (src/engines/correlate). A triage run matches each new grouping
-- of alerts to the stored incident of the same story (root identity and shared alerts), so that an
-- incident keeps its id across runs; analysts' decisions (ack, resolve, false positive) live in the
-- history, which is only ever appended to.

CREATE TABLE incidents (
  id             text PRIMARY KEY,
  -- The grouping key: the person behind the root where one is known, else the root identity.
  story_key      text NOT NULL,
  root_identity  text NOT NULL,
  status         text NOT NULL DEFAULT 'open',
  severity       text NOT NULL,
  score          real NOT NULL,
  title          text NOT NULL,
  first_seen     timestamptz,
  last_seen      timestamptz,
  alerts         jsonb NOT NULL DEFAULT '[]',
  events         jsonb NOT NULL DEFAULT '[]',
  identities     jsonb NOT NULL DEFAULT '[]',
  chain          jsonb NOT NULL DEFAULT '[]',
  -- The latest full assessment (TriageIncident) when the incident was among those enriched.
  assessment     jsonb,
  -- Data time of the run that last saw it, and of the last status change (reopen needs newer alerts).
  as_of          timestamptz NOT NULL,
  status_at      timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_story ON incidents (story_key);
CREATE INDEX incidents_root ON incidents (root_identity);
CREATE INDEX incidents_status ON incidents (status, score DESC);

CREATE TABLE incident_history (
  id           bigserial PRIMARY KEY,
  incident_id  text NOT NULL,
  at           timestamptz NOT NULL DEFAULT now(),
  action       text NOT NULL,
  actor        text NOT NULL,
  reason       text,
  detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX incident_history_incident ON incident_history (incident_id, id);

-- Cross-account AssumeRole copies name the caller only by its unique id (AIDA..., AROA...): correlation
-- looks it up to name the user or role behind a session.
CREATE INDEX identities_aws_unique_id ON identities ((coalesce(attributes->>'userId', attributes->>'roleId'))) WHERE provider = 'aws';
