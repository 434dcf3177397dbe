-- Service quality: calendars, SLA policies, cases with their timeline and SLA events, surveys.
-- Each resource row keeps its message in `body` (the API shape) and, as columns, what is
-- filtered, ordered, swept or reported on. `version` increments on every change; it is the etag.

CREATE TABLE calendars (
  id uuid PRIMARY KEY,
  display_name text NOT NULL,
  time_zone text NOT NULL,
  body bytea NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calendars_by_create_time ON calendars (create_time, id);

CREATE TABLE sla_policies (
  id uuid PRIMARY KEY,
  display_name text NOT NULL,
  tier smallint NOT NULL,      -- accord.account.v1.AccountTier; 0 = any tier
  priority smallint NOT NULL,  -- accord.quality.v1.Priority
  calendar_id uuid NOT NULL REFERENCES calendars (id),
  body bytea NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  -- One policy per tier and priority: a case's policy is never ambiguous.
  CONSTRAINT sla_policies_tier_priority UNIQUE (tier, priority)
);
CREATE INDEX sla_policies_by_create_time ON sla_policies (create_time, id);

CREATE TABLE cases (
  id uuid PRIMARY KEY,
  account text NOT NULL,
  contact text NOT NULL DEFAULT '',
  channel smallint NOT NULL,
  kind smallint NOT NULL,
  category smallint NOT NULL,
  status smallint NOT NULL,
  priority smallint NOT NULL,
  impact smallint NOT NULL,
  urgency smallint NOT NULL,
  tier smallint NOT NULL,
  assignee text NOT NULL DEFAULT '',
  team text NOT NULL DEFAULT '',
  escalation_level smallint NOT NULL,
  description text NOT NULL,
  reopen_count integer NOT NULL DEFAULT 0,
  body bytea NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  -- The SLA clock as the sweeper and reports see it (see sla_clock.h). A cycle starts when the
  -- case opens and again when it reopens; sla_recorded holds the events of the current cycle
  -- already recorded (bits: 1 first-response warning, 2 first-response breach, 4 resolution
  -- warning, 8 resolution breach); sla_next_check is when the sweeper must look next (NULL:
  -- never, e.g. paused, resolved, every event recorded, or no policy).
  clock_start timestamptz NOT NULL,
  sla_cycle integer NOT NULL DEFAULT 1,
  sla_recorded integer NOT NULL DEFAULT 0,
  sla_next_check timestamptz,
  first_response_warn timestamptz,
  first_response_due timestamptz,
  resolution_warn timestamptz,
  resolution_due timestamptz,
  first_response_time timestamptz,
  first_response_seconds bigint,
  first_response_met boolean,
  resolve_time timestamptz,
  resolution_seconds bigint,
  resolution_met boolean,
  resolved_ever boolean NOT NULL DEFAULT false
);
CREATE INDEX cases_by_create_time ON cases (create_time, id);
CREATE INDEX cases_by_update_time ON cases (update_time, id);
CREATE INDEX cases_by_priority ON cases (priority, id);
CREATE INDEX cases_by_account ON cases (account, create_time);
-- The sweeper's work list: only cases with something still to check.
CREATE INDEX cases_sla_next_check ON cases (sla_next_check) WHERE sla_next_check IS NOT NULL;

CREATE TABLE timeline_entries (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases (id),
  kind smallint NOT NULL,
  text text NOT NULL,
  customer_visible boolean NOT NULL DEFAULT false,
  actor text NOT NULL,
  create_time timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX timeline_entries_by_case ON timeline_entries (case_id, create_time, id);

-- Every SLA warning and breach recorded, at most once per case, target, kind and cycle: the
-- primary key is what makes several sweepers warn, breach and escalate a case exactly once.
CREATE TABLE sla_events (
  case_id uuid NOT NULL REFERENCES cases (id),
  target text NOT NULL CHECK (target IN ('first_response', 'resolution')),
  kind text NOT NULL CHECK (kind IN ('warning', 'breach')),
  cycle integer NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  recorded_by text NOT NULL,
  PRIMARY KEY (case_id, target, kind, cycle)
);

CREATE TABLE surveys (
  id uuid PRIMARY KEY,
  account text NOT NULL,
  contact text NOT NULL DEFAULT '',
  case_id uuid REFERENCES cases (id),
  state smallint NOT NULL,
  csat smallint CHECK (csat BETWEEN 1 AND 5),
  nps smallint CHECK (nps BETWEEN 0 AND 10),
  effort smallint CHECK (effort BETWEEN 1 AND 7),
  comment text NOT NULL DEFAULT '',
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  answer_time timestamptz,
  -- Answered means scored, and only then.
  CHECK ((state = 2) = (answer_time IS NOT NULL))
);
CREATE INDEX surveys_by_create_time ON surveys (create_time, id);
CREATE INDEX surveys_by_answer_time ON surveys (answer_time) WHERE answer_time IS NOT NULL;
CREATE INDEX surveys_by_case ON surveys (case_id);
