-- The channels' own state (src/channels): the Slack outbox and what each incident was last announced
-- as, and the key that signs web-view links. Posture snapshots for the briefing's trend already live in
-- posture_snapshots (004).

-- Every message the copilot means to post, written before it is posted: while Slack is down nothing is
-- lost, the next run delivers it. dedupe_key names the incident state (or digest contents) a message
-- announces, so that the same state is never queued, and so never posted, twice.
CREATE TABLE slack_outbox (
  id             bigserial PRIMARY KEY,
  dedupe_key     text NOT NULL UNIQUE,
  kind           text NOT NULL,            -- incident | digest
  incident_id    text,
  severity       text,
  -- Where it goes, as a label: 'webhook' or a channel id. Never the webhook URL or a token.
  destination    text NOT NULL,
  payload        jsonb NOT NULL,           -- { text, blocks }, already redacted and within Slack's limits
  status         text NOT NULL DEFAULT 'pending',  -- pending | sent | rejected
  attempts       integer NOT NULL DEFAULT 0,
  last_error     text,
  -- 'plain_text' when Slack refused the blocks and the message went out as text.
  fallback       text,
  -- A run delivering the message holds it until then, so that two runs never post it both.
  claimed_until  timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  sent_at        timestamptz,
  slack_ts       text,
  slack_channel  text
);
CREATE INDEX slack_outbox_pending ON slack_outbox (id) WHERE status = 'pending';

-- The state each incident was last queued for: a later run posts again only when it escalates (a
-- higher severity) or reopens (generation: how many times its history says it was reopened).
CREATE TABLE slack_notified (
  incident_id  text PRIMARY KEY,
  severity     text NOT NULL,
  status       text NOT NULL,
  score        real NOT NULL,
  generation   integer NOT NULL DEFAULT 0,
  outbox_id    bigint,
  notified_at  timestamptz NOT NULL DEFAULT now()
);

-- Keys of the copilot's own (the HMAC key of signed web-view links, unless IDCOPILOT_LINK_KEY is set):
-- `notify` signs and `serve` verifies, in two processes. Whoever reads this table can read the data the
-- links show anyway.
CREATE TABLE copilot_keys (
  name        text PRIMARY KEY,
  secret      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

SELECT idcopilot_grant_analysis_write('slack_outbox', 'slack_notified', 'copilot_keys');
