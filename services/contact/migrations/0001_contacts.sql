-- Contacts and their relations to accounts. `version` increments on every change; it is the etag.
--
-- Personal fields never reach this schema in plaintext: `pii` holds them sealed with
-- XChaCha20-Poly1305 (nonce || ciphertext, the row's resource name as associated data) under the
-- key named by `pii_key_id`, which comes from the service's settings, never from here. `attributes`
-- is the rest of the contact (a serialized accord.contact.v1.Contact without personal fields);
-- the columns beside it repeat what List filters and orders on.
CREATE TABLE contacts (
  id uuid PRIMARY KEY,
  pii bytea NOT NULL,
  pii_key_id text NOT NULL,
  attributes bytea NOT NULL,
  job_title text NOT NULL DEFAULT '',
  department text NOT NULL DEFAULT '',
  owner text NOT NULL,
  status smallint NOT NULL,
  customer_kind smallint NOT NULL DEFAULT 0,
  preferred_channel smallint NOT NULL DEFAULT 0,
  time_zone text NOT NULL DEFAULT '',
  labels text[] NOT NULL DEFAULT '{}',
  external_ids jsonb NOT NULL DEFAULT '{}',
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  delete_time timestamptz
);
CREATE INDEX contacts_by_create_time ON contacts (create_time, id) WHERE delete_time IS NULL;
CREATE INDEX contacts_by_update_time ON contacts (update_time, id) WHERE delete_time IS NULL;
CREATE INDEX contacts_by_owner ON contacts (owner) WHERE delete_time IS NULL;

-- Blind index: a keyed BLAKE2b hash of each normalised email (kind 1) and E.164 phone (kind 2),
-- for exact lookup without plaintext. The hash key is a setting, separate from the sealing keys.
CREATE TABLE contact_lookup (
  kind smallint NOT NULL,
  digest bytea NOT NULL,
  contact_id uuid NOT NULL REFERENCES contacts (id),
  PRIMARY KEY (kind, digest, contact_id)
);
CREATE INDEX contact_lookup_by_contact ON contact_lookup (contact_id);

-- An external id belongs to one contact; a contact has at most one id per system.
CREATE TABLE contact_external_ids (
  system text NOT NULL,
  external_id text NOT NULL,
  contact_id uuid NOT NULL REFERENCES contacts (id),
  PRIMARY KEY (system, external_id)
);
CREATE INDEX contact_external_ids_by_contact ON contact_external_ids (contact_id);

-- Relations of contacts to accounts (of the account service: no foreign key across services).
CREATE TABLE account_relations (
  id uuid PRIMARY KEY,
  contact_id uuid NOT NULL REFERENCES contacts (id),
  account_id uuid NOT NULL,
  roles smallint[] NOT NULL DEFAULT '{}',
  start_date date,
  end_date date,
  is_primary boolean NOT NULL DEFAULT false,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  delete_time timestamptz,
  CHECK (start_date IS NULL OR end_date IS NULL OR end_date >= start_date)
);
-- One live relation per contact and account.
CREATE UNIQUE INDEX account_relations_live ON account_relations (contact_id, account_id)
  WHERE delete_time IS NULL;
CREATE INDEX account_relations_by_account ON account_relations (account_id)
  WHERE delete_time IS NULL;
CREATE INDEX account_relations_by_create_time ON account_relations (create_time, id)
  WHERE delete_time IS NULL;

-- Every response that carried unmasked personal data: who, when, which contact, which fields,
-- through which method, and the reason the caller gave (x-access-reason). Append-only.
CREATE TABLE access_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  roles text NOT NULL,
  contact_id uuid NOT NULL,
  fields text[] NOT NULL,
  method text NOT NULL,
  reason text NOT NULL DEFAULT '',
  request_id text NOT NULL DEFAULT ''
);
CREATE INDEX access_log_by_contact ON access_log (contact_id, at);
CREATE INDEX access_log_by_actor ON access_log (actor, at);
