-- Risk scoring, detections and behaviour baselines: the copilot's own tables (src/engines/risk,
-- src/engines/detections, src/engines/baseline). Everything here is derived and can be rebuilt from
-- the identity data; times are the data's (the latest event), never the clock's, except computed_at.

-- The risk factors that hold for each identity now: one row per identity and factor code (NHI1..NHI10
-- and the copilot's own codes). scoreAll() rewrites it; first_seen survives re-scoring, so a finding
-- keeps the data time at which it was first seen.
CREATE TABLE findings (
  identity_id  text NOT NULL,
  code         text NOT NULL,
  title        text NOT NULL,
  severity     text NOT NULL,
  weight       real NOT NULL,
  evidence     jsonb NOT NULL DEFAULT '[]',
  detail       text NOT NULL DEFAULT '',
  first_seen   timestamptz NOT NULL,
  last_seen    timestamptz NOT NULL,
  PRIMARY KEY (identity_id, code)
);
CREATE INDEX findings_code ON findings (code);

-- One row per data day: the posture and risk figures a briefing draws its trend lines from.
CREATE TABLE posture_snapshots (
  day          date PRIMARY KEY,
  as_of        timestamptz NOT NULL,
  computed_at  timestamptz NOT NULL DEFAULT now(),
  identities   integer NOT NULL,
  scored       integer NOT NULL,
  mean_score   real NOT NULL,
  bands        jsonb NOT NULL DEFAULT '{}',
  factors      jsonb NOT NULL DEFAULT '{}',
  summary      jsonb NOT NULL DEFAULT '{}'
);

-- Where an engine stopped: the last event it processed (data time, then id) and the baseline cut-off.
CREATE TABLE engine_state (
  engine        text PRIMARY KEY,
  watermark     timestamptz,
  watermark_id  text,
  cutoff        timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  detail        jsonb NOT NULL DEFAULT '{}'
);

-- What each subject (an identity, or a session for instance credentials) has been seen doing, per
-- dimension (action, service, network, agent, resource, hour, rule:<id>): the behaviour baselines and
-- the state of the "first time" and "new network" rules.
CREATE TABLE seen_values (
  subject     text NOT NULL,
  dim         text NOT NULL,
  value       text NOT NULL,
  count       integer NOT NULL DEFAULT 0,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  PRIMARY KEY (subject, dim, value)
);

-- Activity rates per subject: how many events in how many distinct hours, the busiest hour, and the
-- hour in progress (so that a spike spanning two runs is still one spike).
CREATE TABLE seen_rates (
  subject       text PRIMARY KEY,
  events        bigint NOT NULL DEFAULT 0,
  active_hours  integer NOT NULL DEFAULT 0,
  max_hourly    integer NOT NULL DEFAULT 0,
  hour          timestamptz,
  hour_count    integer NOT NULL DEFAULT 0,
  first_seen    timestamptz NOT NULL,
  last_seen     timestamptz NOT NULL
);

CREATE INDEX alerts_source_time ON alerts (source, time);
