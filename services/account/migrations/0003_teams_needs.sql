-- Account teams and customer needs. `version` increments on every change; it is the etag.
--
-- A person holds a role on an account at most once on any day. Periods are dates, so a partial
-- unique index cannot express it; every write to a team first locks its account row (FOR
-- UPDATE) and checks overlaps in that transaction, which serialises team changes per account.
CREATE TABLE team_members (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  member text NOT NULL CHECK (char_length(member) BETWEEN 1 AND 200),
  role smallint NOT NULL,
  start_date date,
  end_date date,
  note text NOT NULL DEFAULT '',
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  CHECK (start_date IS NULL OR end_date IS NULL OR end_date >= start_date)
);

-- Keyset pagination per account in each supported order, and "is this person on the team".
CREATE INDEX team_members_by_member ON team_members (account_id, member, id);
CREATE INDEX team_members_by_create_time ON team_members (account_id, create_time, id);
-- Every account's team at once (parent accounts/-), and the accounts a person looks after.
CREATE INDEX team_members_by_member_everywhere ON team_members (member, id);

-- Needs are deleted softly: delete_time is set and the row stays for reporting.
CREATE TABLE needs (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id),
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '',
  source smallint NOT NULL DEFAULT 0,
  priority smallint NOT NULL,
  status smallint NOT NULL,
  due_date date,
  owner text NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  delete_time timestamptz
);

-- Keyset pagination over live needs, per account and across accounts, in each supported order.
-- Needs without a due date sort as 'infinity' (last).
CREATE INDEX needs_by_create_time ON needs (account_id, create_time, id) WHERE delete_time IS NULL;
CREATE INDEX needs_by_due_date ON needs (account_id, COALESCE(due_date, 'infinity'::date), id)
  WHERE delete_time IS NULL;
CREATE INDEX needs_by_priority ON needs (account_id, priority, id) WHERE delete_time IS NULL;
CREATE INDEX needs_everywhere_by_create_time ON needs (create_time, id) WHERE delete_time IS NULL;
CREATE INDEX needs_by_owner ON needs (owner) WHERE delete_time IS NULL;
