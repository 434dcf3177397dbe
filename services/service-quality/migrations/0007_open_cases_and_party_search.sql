-- The misses of the second run at a million cases (docs/performance.md, "Lists at scale").
-- The open cases oldest first (`NOT status = CLOSED`, `status != CLOSED`, the default order):
-- they are the recent tenth of the table, and the creation index reached them only after walking
-- every closed case (past the statement timeout). A partial index holds only the open ones, in
-- the page's order. Its predicate is the filter's compiled NOT, `(c.status = '7') IS NOT TRUE`,
-- word for word (the literal a smallint as in the List statement): Postgres proves an index
-- predicate from an identical clause, not from `status <> 7`.
CREATE INDEX cases_open_by_create_time ON cases (create_time, id)
  WHERE (status = '7') IS NOT TRUE;
-- `account:` and `contact:` (case-insensitive substring of the resource name, e.g. the end of an
-- id copied from a screen): a value that matched nothing read every case. pg_trgm's GIN index
-- answers values of three characters or more; fastupdate off as for the description's, so a
-- search never scans a pending list. The cost is paid when a case is written.
CREATE INDEX cases_account_trgm ON cases USING gin (account gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX cases_contact_trgm ON cases USING gin (contact gin_trgm_ops) WITH (fastupdate = off);
