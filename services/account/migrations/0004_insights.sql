-- Account insights: what the account service learned from the other services' events, one row
-- per resource of theirs in its latest state (so applying an event twice, or replaying all of
-- them after a rebuild, leaves the same rows), and the targets it keeps itself. `version` is the
-- event's aggregate_version: an older state never replaces a newer one. Account ids are the
-- ids the events name (text: a fact may outlive, or precede, the account row).
CREATE TABLE insight_sales (
  sale text PRIMARY KEY,
  account_id text NOT NULL,
  sale_time timestamptz NOT NULL,
  currency_code text NOT NULL,
  total_micros bigint NOT NULL,
  agent text NOT NULL DEFAULT '',
  version bigint NOT NULL
);
CREATE INDEX insight_sales_by_account ON insight_sales (account_id, sale_time);

CREATE TABLE insight_sale_lines (
  sale text NOT NULL REFERENCES insight_sales (sale) ON DELETE CASCADE,
  line integer NOT NULL,
  sku text NOT NULL,
  quantity bigint NOT NULL,
  total_micros bigint NOT NULL,
  PRIMARY KEY (sale, line)
);
CREATE INDEX insight_sale_lines_by_sku ON insight_sale_lines (sku);

CREATE TABLE insight_cases (
  case_name text PRIMARY KEY,
  account_id text NOT NULL,
  complaint boolean NOT NULL,
  status smallint NOT NULL,
  open_time timestamptz NOT NULL,
  resolve_time timestamptz,
  version bigint NOT NULL
);
CREATE INDEX insight_cases_by_account ON insight_cases (account_id);

-- One row per SlaBreached event (a case may breach both targets, and again after a reopen).
CREATE TABLE insight_sla_breaches (
  event_id text PRIMARY KEY,
  case_name text NOT NULL,
  account_id text NOT NULL,
  breach_time timestamptz NOT NULL
);
CREATE INDEX insight_sla_breaches_by_account ON insight_sla_breaches (account_id);

CREATE TABLE insight_surveys (
  survey text PRIMARY KEY,
  account_id text NOT NULL,
  csat smallint,
  nps smallint,
  answer_time timestamptz NOT NULL,
  version bigint NOT NULL
);
CREATE INDEX insight_surveys_by_account ON insight_surveys (account_id);

CREATE TABLE insight_interactions (
  interaction text PRIMARY KEY,
  account_id text NOT NULL,
  owner text NOT NULL,
  channel smallint NOT NULL,
  outcome smallint NOT NULL,
  interaction_time timestamptz NOT NULL
);
CREATE INDEX insight_interactions_by_account ON insight_interactions (account_id);
CREATE INDEX insight_interactions_by_owner ON insight_interactions (owner, interaction_time);

-- Targets per account manager (`managers/{subject}`) or team (`teams/{team}` with members).
CREATE TABLE targets (
  id uuid PRIMARY KEY,
  assignee text NOT NULL CHECK (char_length(assignee) BETWEEN 1 AND 220),
  members text[] NOT NULL DEFAULT '{}',
  metric smallint NOT NULL,
  start_date date NOT NULL,
  end_date date NOT NULL,
  value double precision NOT NULL CHECK (value > 0),
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  CHECK (end_date >= start_date)
);
CREATE INDEX targets_by_create_time ON targets (create_time, id);
CREATE INDEX targets_by_assignee ON targets (assignee, start_date);
