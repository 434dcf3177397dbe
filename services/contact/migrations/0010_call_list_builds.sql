-- A call-list build runs in batches, each its own transaction that judges the next contacts in
-- creation order and stores how far it got, so no statement or transaction outlives a batch and a
-- build that stops (its caller gone, the service restarted) goes on where it stopped, on any
-- replica (docs/performance.md, "Bounded, resumable call-list builds"). One row per campaign: its
-- last build. The rules are those of the build's start (the time zones inside the calling hours
-- then, where the cool-off began), so a resumed build judges every contact as the uninterrupted
-- one would have.
CREATE TABLE call_list_builds (
  campaign_id uuid PRIMARY KEY REFERENCES campaigns (id),
  state smallint NOT NULL,  -- CallListBuildState: 1 building, 2 ready
  labels json NOT NULL,
  zones json NOT NULL,
  called_after_micros bigint NOT NULL,
  -- The keyset of the last contact judged: (create_time, id) of contacts_by_create_time.
  after_time timestamptz NOT NULL DEFAULT '-infinity',
  after_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
  progress bytea NOT NULL  -- accord.contact.v1.CallListBuild
);
