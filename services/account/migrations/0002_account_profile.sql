-- The complete account profile: tiering, size, revenue, addresses, territory, labels, hierarchy
-- and merge tombstones. Money is exact (units + nanos), never floating point.
ALTER TABLE accounts
  ADD COLUMN tax_id text NOT NULL DEFAULT '',
  ADD COLUMN tier smallint NOT NULL DEFAULT 3,
  ADD COLUMN industry text NOT NULL DEFAULT '',
  ADD COLUMN size_band smallint NOT NULL DEFAULT 0,
  ADD COLUMN revenue_currency text,
  ADD COLUMN revenue_units bigint,
  ADD COLUMN revenue_nanos integer,
  ADD COLUMN website text NOT NULL DEFAULT '',
  ADD COLUMN billing_address bytea,
  ADD COLUMN shipping_address bytea,
  ADD COLUMN territory text NOT NULL DEFAULT '',
  ADD COLUMN labels text[] NOT NULL DEFAULT '{}',
  ADD COLUMN parent_id uuid REFERENCES accounts (id),
  ADD COLUMN merged_into uuid REFERENCES accounts (id);

CREATE INDEX accounts_by_update_time ON accounts (update_time, id) WHERE delete_time IS NULL;
CREATE INDEX accounts_by_parent ON accounts (parent_id) WHERE delete_time IS NULL;
CREATE INDEX accounts_by_tier ON accounts (tier) WHERE delete_time IS NULL;
CREATE INDEX accounts_by_territory ON accounts (territory) WHERE delete_time IS NULL;
CREATE INDEX accounts_by_labels ON accounts USING gin (labels) WHERE delete_time IS NULL;

-- An external id belongs to one account; an account has at most one id per source system.
CREATE TABLE external_ids (
  system text NOT NULL,
  external_id text NOT NULL,
  account_id uuid NOT NULL REFERENCES accounts (id),
  PRIMARY KEY (system, external_id),
  UNIQUE (account_id, system)
);
