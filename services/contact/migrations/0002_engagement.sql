-- Consent, contact flags, interactions and follow-ups.

-- The flags live on the contact row, where call lists filter on them; they are not part of the
-- contact's etag (ConsentState has its own, flags_version).
ALTER TABLE contacts
  ADD COLUMN do_not_call boolean NOT NULL DEFAULT false,
  ADD COLUMN do_not_email boolean NOT NULL DEFAULT false,
  ADD COLUMN phone_unverified boolean NOT NULL DEFAULT false,
  ADD COLUMN flags_version bigint NOT NULL DEFAULT 1;

-- Append-only: a decision is never edited, a change of mind is a new row. The trigger refuses
-- UPDATE, DELETE and TRUNCATE whoever asks, so the ledger holds even against a bug in the code.
CREATE TABLE consent_ledger (
  id uuid PRIMARY KEY,
  contact_id uuid NOT NULL REFERENCES contacts (id),
  channel smallint NOT NULL,
  purpose smallint NOT NULL,
  decision smallint NOT NULL,
  decision_time timestamptz NOT NULL,
  source text NOT NULL,
  recorded_by text NOT NULL,
  record_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_ledger_by_contact ON consent_ledger (contact_id, record_time, id);

CREATE FUNCTION consent_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'consent_ledger is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER consent_ledger_no_update_delete BEFORE UPDATE OR DELETE ON consent_ledger
  FOR EACH ROW EXECUTE FUNCTION consent_ledger_append_only();
CREATE TRIGGER consent_ledger_no_truncate BEFORE TRUNCATE ON consent_ledger
  FOR EACH STATEMENT EXECUTE FUNCTION consent_ledger_append_only();

-- Interactions. `summary` is personal text, sealed like the contact's (the interaction's
-- resource name as associated data); campaign and account are ids of resources elsewhere.
CREATE TABLE interactions (
  id uuid PRIMARY KEY,
  contact_id uuid NOT NULL REFERENCES contacts (id),
  channel smallint NOT NULL,
  interaction_time timestamptz NOT NULL,
  duration_seconds integer NOT NULL DEFAULT 0,
  subject text NOT NULL DEFAULT '',
  summary bytea,
  outcome smallint NOT NULL DEFAULT 0,
  campaign_id uuid,
  account_id uuid,
  owner text NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX interactions_by_contact ON interactions (contact_id, interaction_time, id);
CREATE INDEX interactions_by_time ON interactions (interaction_time, id);
CREATE INDEX interactions_by_owner ON interactions (owner, interaction_time);
CREATE INDEX interactions_by_campaign ON interactions (campaign_id, interaction_time)
  WHERE campaign_id IS NOT NULL;
CREATE INDEX interactions_by_account ON interactions (account_id, interaction_time)
  WHERE account_id IS NOT NULL;

CREATE TABLE follow_ups (
  id uuid PRIMARY KEY,
  contact_id uuid NOT NULL REFERENCES contacts (id),
  interaction_id uuid REFERENCES interactions (id),
  due_time timestamptz NOT NULL,
  owner text NOT NULL,
  subject text NOT NULL DEFAULT '',
  status smallint NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX follow_ups_by_contact ON follow_ups (contact_id, create_time, id);
CREATE INDEX follow_ups_by_create_time ON follow_ups (create_time, id);
-- ListDueFollowUps: an owner's open ones by due time.
CREATE INDEX follow_ups_open_by_owner ON follow_ups (owner, due_time) WHERE status = 1;
