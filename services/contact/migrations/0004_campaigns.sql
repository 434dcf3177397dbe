-- Telemarketing campaigns and their call lists.
CREATE TABLE campaigns (
  id uuid PRIMARY KEY,
  attributes bytea NOT NULL,  -- a serialized accord.contact.v1.Campaign (without name, etag, times)
  status smallint NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);

-- One row per contact on a campaign's list. `state` 0 waits for a call, 1 is done. A row is
-- handed out by setting agent and lease_until; a lease in the past is free again.
CREATE TABLE call_list (
  campaign_id uuid NOT NULL REFERENCES campaigns (id),
  contact_id uuid NOT NULL REFERENCES contacts (id),
  position bigserial NOT NULL,
  state smallint NOT NULL DEFAULT 0,
  agent text,
  lease_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, contact_id)
);
CREATE INDEX call_list_waiting ON call_list (campaign_id, position) WHERE state = 0;
