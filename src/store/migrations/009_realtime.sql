-- Real time (src/realtime): where `watch` is in each file it follows, and a change feed of alerts so
-- that the incremental engines correlate only what changed since their last run.

-- One row per followed file. A document (a CloudTrail delivery, gzipped or not) is read whole once it
-- is complete; NDJSON is read up to its last newline. byte_offset is committed in the same transaction
-- as the records read up to it: after a crash the file resumes there, losing and repeating nothing.
-- dev/ino and head_hash tell a file that was rotated, replaced or truncated from one that grew.
CREATE TABLE watch_checkpoints (
  path         text PRIMARY KEY,
  mode         text NOT NULL,              -- document | ndjson
  format       text,                       -- the connector that reads it
  byte_offset  bigint NOT NULL DEFAULT 0,  -- bytes consumed (ndjson); the whole size once a document is done
  size         bigint NOT NULL DEFAULT 0,
  mtime_ms     double precision,
  dev          text,
  ino          text,
  head_hash    text,                       -- sha256 of the first bytes (up to 4 KiB), hex
  records      bigint NOT NULL DEFAULT 0,
  loaded       bigint NOT NULL DEFAULT 0,
  rejected     bigint NOT NULL DEFAULT 0,
  status       text NOT NULL,              -- done | following | failed
  error        text,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX watch_checkpoints_inode ON watch_checkpoints (dev, ino);

-- Every insert or real update of an alert takes the next number: "what changed since N" is one index scan,
-- whoever wrote the alert (a connector, the rules, the baselines).
CREATE SEQUENCE alerts_change_seq;
ALTER TABLE alerts ADD COLUMN change_seq bigint;
CREATE FUNCTION alerts_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.change_seq := nextval('alerts_change_seq');
  RETURN NEW;
END $$;
CREATE TRIGGER alerts_change_insert BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION alerts_stamp_change();
-- An upsert that writes an alert again unchanged (rules re-judging an overlap) is not a change.
CREATE TRIGGER alerts_change_update BEFORE UPDATE ON alerts FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
  EXECUTE FUNCTION alerts_stamp_change();
UPDATE alerts SET change_seq = nextval('alerts_change_seq') WHERE change_seq IS NULL;
CREATE INDEX alerts_change_seq_idx ON alerts (change_seq);

-- The ingest role writes this table and both use the sequence through the default privileges of 006.
SELECT idcopilot_grant_analysis_write('watch_checkpoints');
