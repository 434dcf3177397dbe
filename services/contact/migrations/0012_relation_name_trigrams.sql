-- FindDuplicateContacts by name compares the probe with every live contact at its accounts (300
-- at a large account of the scale seed, more at a crowded one). Each comparison read the
-- contact's row by its primary key for its name trigrams: one scattered table block per contact,
-- most of the statement (docs/performance.md, "FindDuplicateContacts by name from the account's
-- index"). Each relation now carries a copy of its contact's name trigrams, included in the
-- account's index, so the account's contacts are compared from a few adjacent index pages and
-- only those at or above the similarity are read.
--
-- The copy is the contact's, kept by triggers: a relation takes its contact's trigrams when it
-- is written for a contact (insert, a merge moving it to the survivor, an end or a revival), and
-- a contact's new trigrams (a renamed, merged, erased or re-keyed contact) go to its live
-- relations. Ended relations are never compared, so they are not rewritten.
ALTER TABLE account_relations ADD COLUMN name_trigrams integer[] NOT NULL DEFAULT '{}';

CREATE FUNCTION relation_name_trigrams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A missing contact is the foreign key's error, not a NOT NULL violation here.
  NEW.name_trigrams := COALESCE(
    (SELECT c.name_trigrams FROM contact.contacts c WHERE c.id = NEW.contact_id), '{}');
  RETURN NEW;
END
$$;
CREATE TRIGGER account_relations_name_trigrams BEFORE INSERT OR UPDATE OF contact_id, delete_time
  ON account_relations FOR EACH ROW EXECUTE FUNCTION relation_name_trigrams();

CREATE FUNCTION contact_name_trigrams_to_relations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contact.account_relations SET name_trigrams = NEW.name_trigrams
    WHERE contact_id = NEW.id AND delete_time IS NULL;
  RETURN NULL;
END
$$;
CREATE TRIGGER contacts_name_trigrams_to_relations AFTER UPDATE OF name_trigrams ON contacts
  FOR EACH ROW WHEN (NEW.name_trigrams IS DISTINCT FROM OLD.name_trigrams)
  EXECUTE FUNCTION contact_name_trigrams_to_relations();

-- The copy is not part of what GetContact shows: writing it must not move the contact's
-- cache_version (0009). The touch now fires for every other column, as it did for all.
DROP TRIGGER account_relations_cache_touch ON account_relations;
CREATE TRIGGER account_relations_cache_touch AFTER INSERT OR DELETE OR UPDATE OF id, contact_id,
  account_id, roles, start_date, end_date, is_primary, version, create_time, update_time,
  delete_time ON account_relations FOR EACH ROW EXECUTE FUNCTION contact_cache_touch();

UPDATE account_relations r SET name_trigrams = c.name_trigrams FROM contacts c
  WHERE c.id = r.contact_id AND r.delete_time IS NULL AND cardinality(c.name_trigrams) > 0;

-- The account's index (0011) with the copy included: an account's relations and their contacts'
-- trigrams from the index alone.
DROP INDEX account_relations_by_account;
CREATE INDEX account_relations_by_account ON account_relations (account_id, contact_id)
  INCLUDE (name_trigrams) WHERE delete_time IS NULL;
