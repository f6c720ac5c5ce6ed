-- Scores of the last risk scoring, one row per identity with at least one factor: what `risk --top`
-- and briefings sort by. Rewritten with the findings in the same transaction (src/engines/risk), from
-- the same factors, so a score never disagrees with its findings; only changed scores are written.
CREATE TABLE risk_scores (
  identity_id  text PRIMARY KEY,
  score        smallint NOT NULL,
  factors      smallint NOT NULL
);
CREATE INDEX risk_scores_score ON risk_scores (score DESC, identity_id);
