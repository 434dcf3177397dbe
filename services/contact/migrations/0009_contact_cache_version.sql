-- The version of everything GetContact shows about a contact, for the sealed-row cache
-- (caching_contact_repository.h). `version` (the etag) moves only with the contact's own fields;
-- the response also carries what other writes change: its live relations' accounts, the
-- purchase and conversation counts kept by triggers, erasure, resealing. cache_version moves
-- with every one of them, and each move is announced on the channel `contact_cache` (payload
-- "id version", delivered when the transaction commits) so that every replica drops its older
-- copy. cache_time (when it last moved) lets a replica whose listening connection was lost
-- find what changed meanwhile.
ALTER TABLE contacts
  ADD COLUMN cache_version bigint NOT NULL DEFAULT 1,
  ADD COLUMN cache_time timestamptz NOT NULL DEFAULT now();
UPDATE contacts SET cache_version = version;

CREATE FUNCTION contact_cache_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.cache_version := OLD.cache_version + 1;
  NEW.cache_time := clock_timestamp();
  PERFORM pg_notify('contact_cache', NEW.id::text || ' ' || NEW.cache_version);
  RETURN NEW;
END
$$;
CREATE TRIGGER contacts_cache_bump BEFORE UPDATE ON contacts
  FOR EACH ROW EXECUTE FUNCTION contact_cache_bump();

-- A relation added, changed or ended changes the contact's account list: touching the contact's
-- row moves its cache_version (the trigger above).
CREATE FUNCTION contact_cache_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE contact.contacts SET cache_version = cache_version WHERE id = OLD.contact_id;
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.contact_id IS DISTINCT FROM OLD.contact_id) THEN
    UPDATE contact.contacts SET cache_version = cache_version WHERE id = NEW.contact_id;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER account_relations_cache_touch AFTER INSERT OR DELETE OR UPDATE
  ON account_relations FOR EACH ROW EXECUTE FUNCTION contact_cache_touch();
