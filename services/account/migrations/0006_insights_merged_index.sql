-- The accounts merged into an account: every insights read (and the overview) follows them from
-- the survivor, which without an index scanned the whole accounts table on every call (10 ms at
-- 4 000 accounts, linear beyond). Partial: only tombstones carry merged_into.
CREATE INDEX accounts_by_merged_into ON accounts (merged_into) WHERE merged_into IS NOT NULL;
