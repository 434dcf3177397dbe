-- What the service learns from the account service's events (common::PeerEventFeed keeps its
-- cursor in peer_feeds, created by the common migrations).
-- Signals: evidence of satisfaction other than surveys; a churned account is a lost customer.
-- `source_event` makes a signal from an event once, whatever the feed replays.
CREATE TABLE signals (
  id uuid PRIMARY KEY,
  account text NOT NULL,
  kind smallint NOT NULL,
  source text NOT NULL,
  source_event text,
  figure double precision NOT NULL DEFAULT 1,
  note text NOT NULL DEFAULT '',
  occur_time timestamptz NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_event)
);
CREATE INDEX signals_by_create_time ON signals (create_time, id);
CREATE INDEX signals_by_account ON signals (account, create_time);
