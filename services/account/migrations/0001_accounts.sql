-- Business customers. `version` increments on every change; it is the etag and the event
-- aggregate version. Deletion is soft: delete_time is set and the row stays for merges and audit.
CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
  legal_name text NOT NULL DEFAULT '',
  type smallint NOT NULL,
  lifecycle_stage smallint NOT NULL,
  owner text NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  delete_time timestamptz
);

-- Keyset pagination over live accounts in each supported order.
CREATE INDEX accounts_by_display_name ON accounts (display_name, id) WHERE delete_time IS NULL;
CREATE INDEX accounts_by_create_time ON accounts (create_time, id) WHERE delete_time IS NULL;
CREATE INDEX accounts_by_owner ON accounts (owner) WHERE delete_time IS NULL;
