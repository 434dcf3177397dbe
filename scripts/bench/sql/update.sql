-- What UpdateAccount runs (PgAccountRepository::Update): lock the row, then the prepared update
-- with RETURNING. bench.sh appends outbox.sql before COMMIT when this build has an outbox table.
\set i random(:accounts + 1, 2 * :accounts)
BEGIN;
SELECT a.id::text, a.display_name, a.legal_name, a.type, a.lifecycle_stage, a.owner, a.version,
       (extract(epoch FROM a.create_time) * 1000000)::bigint,
       (extract(epoch FROM a.update_time) * 1000000)::bigint,
       (extract(epoch FROM a.delete_time) * 1000000)::bigint
  FROM account.accounts a WHERE a.id = public.bench_id(:i) AND a.delete_time IS NULL FOR UPDATE;
UPDATE account.accounts AS a SET display_name = 'Bench Updated', legal_name = a.legal_name,
       type = a.type, lifecycle_stage = a.lifecycle_stage, owner = a.owner,
       version = a.version + 1, update_time = now()
  WHERE a.id = public.bench_id(:i)
  RETURNING a.id::text, a.display_name, a.legal_name, a.type, a.lifecycle_stage, a.owner,
            a.version, (extract(epoch FROM a.create_time) * 1000000)::bigint,
            (extract(epoch FROM a.update_time) * 1000000)::bigint,
            (extract(epoch FROM a.delete_time) * 1000000)::bigint;
