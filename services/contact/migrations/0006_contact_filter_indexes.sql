-- Indexes for the contact filters at a million contacts (docs/performance.md, "Lists at scale").
-- One owner's contacts in either order (an account manager's own list): read in order instead of
-- gathered and sorted, or found by walking the ordering index past everyone else's contacts. The
-- first replaces the owner index, of which it is an extension.
DROP INDEX contacts_by_owner;
CREATE INDEX contacts_by_owner_create_time ON contacts (owner, create_time, id)
  WHERE delete_time IS NULL;
CREATE INDEX contacts_by_owner_update_time ON contacts (owner, update_time, id)
  WHERE delete_time IS NULL;
-- `labels:x` is `labels @> ARRAY['x']`, which a GIN index answers; a rare label otherwise walked
-- every contact.
CREATE INDEX contacts_by_labels ON contacts USING gin (labels) WHERE delete_time IS NULL;
