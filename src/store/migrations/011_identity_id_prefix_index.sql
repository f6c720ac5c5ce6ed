-- Ownership maps and crown-jewel lists match ids by `*` patterns; most patterns start with a literal
-- prefix (`arn:aws:iam::111122223333:role/payments-*`). A pattern-ops index lets each pattern read only
-- its prefix's range instead of every identity.
CREATE INDEX IF NOT EXISTS identities_id_pattern ON identities (id text_pattern_ops);
