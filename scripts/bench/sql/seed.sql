-- Seeds accounts 1..:accounts (read and list scenarios) and :accounts+1..2*:accounts (updates:
-- every one starts at version 1, which the update load relies on). Types and lifecycle stages
-- vary so that list filters select a realistic fraction. 2*:accounts+1 .. +10 are for the probe
-- calls that capture the SQL pgbench replays. psql -v accounts=N -f seed.sql
INSERT INTO account.accounts (id, display_name, legal_name, type, lifecycle_stage, owner)
SELECT public.bench_id(i),
       'Bench ' || substr(md5(i::text), 1, 10) || ' ' || i,
       'Bench Legal Name ' || i || ' GmbH',
       1 + i % 5,
       1 + (i / 5) % 5,
       'manager-' || (i % 50)
FROM generate_series(1, 2 * :accounts + 10) AS i;
ANALYZE account.accounts;
