-- "Which alerts and incidents name this identity?" is asked on every get_identity call, identity page
-- and explanation (`identities ? $1`). Without an index that is a scan of every alert, growing with
-- the detectors' output; GIN (jsonb_ops, which serves `?`) answers it from the identity's entries.
CREATE INDEX IF NOT EXISTS alerts_identities_gin ON alerts USING gin (identities);
CREATE INDEX IF NOT EXISTS alerts_credentials_gin ON alerts USING gin (credentials);
CREATE INDEX IF NOT EXISTS incidents_identities_gin ON incidents USING gin (identities);
