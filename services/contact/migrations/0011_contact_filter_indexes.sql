-- Substring filters on the contacts' text fields (`department:procure`, `job_title:purchas`,
-- `owner:am-4`, `time_zone:asia`) compile to ILIKE '%value%'. Without an index, a value that few
-- contacts (or none) match read every contact before answering: 5.5 s at 5 000 000
-- (docs/performance.md, "5 000 000 contacts"). pg_trgm's GIN index finds the few; for a value most
-- contacts match, the planner still walks the page's order (these fields hold few distinct values,
-- all in their statistics). As for cases (service-quality 0006, 0007): `fastupdate = off`, so a
-- search never scans a pending list that a burst of writes left behind.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX contacts_job_title_trgm ON contacts USING gin (job_title public.gin_trgm_ops)
  WITH (fastupdate = off) WHERE delete_time IS NULL;
CREATE INDEX contacts_department_trgm ON contacts USING gin (department public.gin_trgm_ops)
  WITH (fastupdate = off) WHERE delete_time IS NULL;
CREATE INDEX contacts_owner_trgm ON contacts USING gin (owner public.gin_trgm_ops)
  WITH (fastupdate = off) WHERE delete_time IS NULL;
CREATE INDEX contacts_time_zone_trgm ON contacts USING gin (time_zone public.gin_trgm_ops)
  WITH (fastupdate = off) WHERE delete_time IS NULL;

-- A time filter on one timestamp in the order of the other (`create_time <= "2023-01-01..."`,
-- newest updated first) walked the order's index and read each contact's row to test the other
-- timestamp: 1.3 s p50 at 5 000 000 for a filter that 2 % of contacts match. With the other
-- timestamp as a trailing key column, the index tests it on its own entries (an index condition)
-- and reads only the rows of the page.
DROP INDEX contacts_by_create_time;
CREATE INDEX contacts_by_create_time ON contacts (create_time, id, update_time)
  WHERE delete_time IS NULL;
DROP INDEX contacts_by_update_time;
CREATE INDEX contacts_by_update_time ON contacts (update_time, id, create_time)
  WHERE delete_time IS NULL;

-- FindDuplicateContacts compares a name with every contact at the probe's accounts (a few hundred
-- at a large account): with the contact in the index entry, the account's relations are read
-- from the index alone instead of one table block per relation (15 of the statement's 50 ms at
-- 5 000 000 contacts on the loaded machine). ListKeyContacts and the account events' statements
-- keep using it by its account.
DROP INDEX account_relations_by_account;
CREATE INDEX account_relations_by_account ON account_relations (account_id, contact_id)
  WHERE delete_time IS NULL;
