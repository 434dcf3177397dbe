-- Duplicates, merge and erasure.
--
-- `name_trigrams`: the trigrams of the contact's normalised full name as PostgreSQL's pg_trgm
-- extracts them, each replaced by a keyed hash (32 bits of BLAKE2b under the blind-index key).
-- The names themselves are sealed, so pg_trgm cannot read them; the share of common hashed
-- trigrams is pg_trgm's similarity (shared / (|a| + |b| - shared)) all the same, and the GIN
-- index finds the contacts that share any. Built-in array operators; no extension needed.
ALTER TABLE contacts
  ADD COLUMN name_trigrams integer[] NOT NULL DEFAULT '{}',
  -- The survivor a merged contact was folded into (its tombstone has delete_time set too).
  ADD COLUMN merged_into uuid REFERENCES contacts (id),
  -- When the personal data was erased (delete_time is set with it).
  ADD COLUMN erase_time timestamptz;
CREATE INDEX contacts_by_name_trigrams ON contacts USING gin (name_trigrams)
  WHERE delete_time IS NULL;
