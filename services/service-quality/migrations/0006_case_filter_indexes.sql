-- Indexes for the case filters at a million cases (docs/performance.md, "Lists at scale").
-- Free text over descriptions (`"pallet collapsed"`) is ILIKE '%value%': pg_trgm's GIN index
-- answers values of three characters or more, a value that matches nothing included (it scanned
-- every case before).
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX cases_description_trgm ON cases USING gin (description gin_trgm_ops)
  WITH (fastupdate = off);
-- The queues, read in the page's order (oldest first, the default): one agent's or one team's
-- cases, by status or not, and a status across everyone's (new, escalated); each was found by
-- walking the ordering index past every other case, which for the recent, open ones is nearly
-- all of them (the unassigned new cases took a second).
CREATE INDEX cases_by_assignee ON cases (assignee, status, create_time, id);
CREATE INDEX cases_by_team ON cases (team, status, create_time, id);
CREATE INDEX cases_by_status ON cases (status, create_time, id);
-- A status's and an agent's cases by priority (the escalated queue, an agent's work, most urgent
-- first): the agent's 5 000 cases were found by walking the priority index (250 ms).
CREATE INDEX cases_by_status_priority ON cases (status, priority, id);
CREATE INDEX cases_by_assignee_priority ON cases (assignee, priority, id);
-- One contact's cases.
CREATE INDEX cases_by_contact ON cases (contact) WHERE contact <> '';
