-- Searches for Chinese text in name order (`legal_name:股份`, `display_name:鴻海`, free text `鴻海`,
-- ordered by display_name): every Chinese name sorts after every Latin one, so a page of them
-- read from the name index comes after every Latin name (700 000 of a million accounts read for
-- the first page), and gathering a common value's matches instead sorts 300 000 of them.
--
-- Only a name holding a character outside ASCII can match text holding a Han, kana or Hangul
-- character (the account repository's MatchesOnlyNonAsciiNames, docs/filter-plans.md). This index
-- holds just the accounts with such a name, in name order: such a search walks it and skips the
-- Latin names. The predicate is kNonAsciiNameSql (pg_filter_schemas.h); a statement repeats it
-- word for word to use the index. A regular expression rather than octet_length(x) <>
-- char_length(x): it holds in any database encoding.
CREATE INDEX accounts_non_ascii_by_display_name ON accounts (display_name, id)
  WHERE delete_time IS NULL
    AND (display_name ~ '[^\x01-\x7f]' OR legal_name ~ '[^\x01-\x7f]');

-- The pair function (0004) runs once per matching row where a search rechecks it: free text
-- `鴻海` tests a name's pairs on each of its 390 matches at a million accounts. 65-71 us a call as
-- the SQL function (array_agg over generate_series), 22 us as this loop (loaded machine).
-- The same pairs for every value (duplicates and their order aside, which `@>` and the GIN
-- indexes on it do not see), so the indexes built with the old body stay valid.
CREATE OR REPLACE FUNCTION bigrams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
  lowered text := lower(value);
  pairs text[] := '{}';
BEGIN
  FOR i IN 1 .. char_length(value) - 1 LOOP
    pairs := pairs || substr(lowered, i, 2);
  END LOOP;
  RETURN pairs;
END
$$;

-- A page is 50 rows: it never waits for parallel workers to start. The planner chose them for a
-- search whose matches it takes for 10 000 (the pair index's fixed estimate) where there were 340,
-- and starting two workers took 20 ms on a loaded machine, longer than the search.
ALTER TABLE accounts SET (parallel_workers = 0);

-- A territory's tier newest first, by either time (`territory = "jp" AND tier = STRATEGIC`,
-- `update_time desc` or `create_time desc`): its 1 000 accounts at a million were fetched from
-- 1 000 heap pages and sorted, 16-18 ms p50 on the loaded machine; read in order, the first 51.
CREATE INDEX accounts_by_territory_tier_update_time ON accounts (territory, tier, update_time, id)
  WHERE delete_time IS NULL;
CREATE INDEX accounts_by_territory_tier_create_time ON accounts (territory, tier, create_time, id)
  WHERE delete_time IS NULL;
