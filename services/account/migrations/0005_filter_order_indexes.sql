-- The filters that still missed 20 ms at a million accounts (docs/performance.md, "Filters at a
-- million accounts").
--
-- One owner's accounts (an account manager's own list) in each order: the owner index found their
-- 2 000 accounts and sorted them, or the planner walked an ordering index past everyone else's
-- accounts (25 000 rows read for a page). These walk the owner's accounts already in order,
-- either way round; the first replaces the owner index, of which it is an extension.
DROP INDEX accounts_by_owner;
CREATE INDEX accounts_by_owner_display_name ON accounts (owner, display_name, id)
  WHERE delete_time IS NULL;
CREATE INDEX accounts_by_owner_update_time ON accounts (owner, update_time, id)
  WHERE delete_time IS NULL;
CREATE INDEX accounts_by_owner_create_time ON accounts (owner, create_time, id)
  WHERE delete_time IS NULL;
-- Territory and tier together (a region's strategic accounts), by name: one index range read in
-- order, instead of two bitmaps of 50 000 and 20 000 rows intersected and 1 000 rows fetched and
-- sorted; other orders read the same range as a bitmap.
CREATE INDEX accounts_by_territory_tier ON accounts (territory, tier, display_name, id)
  WHERE delete_time IS NULL;

-- Statistics of each name's character pairs. `bigrams(legal_name) @> bigrams('股份')` was
-- estimated at PostgreSQL's default for array containment (0.5 %), as the expression indexes are
-- partial and the planner takes no statistics from a partial index, while the pair is in 30 % of
-- legal names (every Chinese one ends in 股份有限公司): it chose the pair index and sorted 300 000
-- rows. With the pairs' own frequencies (ANALYZE gathers the most common elements) a common pair
-- walks the ordering index and stops at the page, and a rare one still takes the pair index.
CREATE STATISTICS accounts_display_name_bigrams_stats ON (bigrams(display_name)) FROM accounts;
CREATE STATISTICS accounts_legal_name_bigrams_stats ON (bigrams(legal_name)) FROM accounts;
