-- Indexes for every filterable field (issue: filters at a million accounts).
--
-- Substring and free-text search (`display_name:globex`, `"hooli 3f"`) is ILIKE '%value%',
-- answered by pg_trgm's GIN indexes for values of three characters or more. pg_trgm finds no
-- trigram in a two-character value, and two characters are a whole short name in Chinese (鴻海,
-- 台塑), so every pair of adjacent characters of the lower-cased names is indexed as well
-- (`bigrams`, a GIN index over an array): `bigrams(display_name) @> bigrams('鴻海')` finds the
-- candidates, ILIKE confirms them. Full-text search (tsvector) was not chosen: its parsers split
-- words on spaces, which Chinese names do not have, and stem English words, which company names
-- should not be.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE FUNCTION bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(value), i, 2)), '{}'::text[])
  FROM generate_series(1, char_length(value) - 1) AS i
$$;

CREATE INDEX accounts_display_name_trgm ON accounts USING gin (display_name gin_trgm_ops)
  WITH (fastupdate = off) WHERE delete_time IS NULL;
CREATE INDEX accounts_legal_name_trgm ON accounts USING gin (legal_name gin_trgm_ops)
  WITH (fastupdate = off) WHERE delete_time IS NULL;
CREATE INDEX accounts_display_name_bigrams ON accounts USING gin (bigrams(display_name))
  WITH (fastupdate = off) WHERE delete_time IS NULL;
CREATE INDEX accounts_legal_name_bigrams ON accounts USING gin (bigrams(legal_name))
  WITH (fastupdate = off) WHERE delete_time IS NULL;

-- fastupdate is off: accounts are written far less often than they are searched, and a pending
-- list (GIN's buffer of recent insertions, merged only by VACUUM) is read in full by every search
-- and made the planner avoid these indexes on a freshly loaded table.

-- Equality on the remaining scalar fields; a rare value otherwise walks the ordering index over
-- every account to fill a page.
CREATE INDEX accounts_by_industry ON accounts (industry) WHERE delete_time IS NULL;
CREATE INDEX accounts_by_tax_id ON accounts (tax_id) WHERE delete_time IS NULL;
CREATE INDEX accounts_by_stage_and_type ON accounts (lifecycle_stage, type)
  WHERE delete_time IS NULL;
CREATE INDEX accounts_by_type ON accounts (type) WHERE delete_time IS NULL;
CREATE INDEX accounts_by_size_band ON accounts (size_band) WHERE delete_time IS NULL;
-- `parent = "accounts/..."` compares the parent's resource name, as the filter writes it.
CREATE INDEX accounts_by_parent_name ON accounts (('accounts/' || parent_id::text))
  WHERE delete_time IS NULL;

-- Needs: free text over title and description.
CREATE INDEX needs_title_trgm ON needs USING gin (title gin_trgm_ops) WHERE delete_time IS NULL;
CREATE INDEX needs_description_trgm ON needs USING gin (description gin_trgm_ops)
  WHERE delete_time IS NULL;
