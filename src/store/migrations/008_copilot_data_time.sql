-- The copilot's own activity (its audit records mirrored as canonical events, provider 'copilot') is not
-- data about the watched systems: data time (triage's asOf, the detections' range, risk freshness) is
-- the latest other event. This index keeps that question as cheap as max(time) over everything.
CREATE INDEX IF NOT EXISTS events_data_time ON events (time) WHERE provider <> 'copilot';

-- Stores that applied the first version of 006 lack the audit record's client column.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS client text NOT NULL DEFAULT '{}';
