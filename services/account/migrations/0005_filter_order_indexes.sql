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

-- Not here: statistics of the names' character pairs (CREATE STATISTICS on bigrams(legal_name)).
-- With them the planner knows that 股份 is in 30 % of legal names and walks the name index to fill
-- a page, which is right in update-time order (6 ms) but in name order reads the 700 000 Latin
-- names before the first Chinese one (2-5 s, past the statement timeout on a loaded machine);
-- without them it gathers the 300 000 matches and sorts them (0.4 s) in every order. The planner
-- cannot see that correlation, so the bounded plan stays (docs/performance.md).
