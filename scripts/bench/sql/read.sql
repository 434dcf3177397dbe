-- What GetAccount runs without a cache (PgAccountRepository::Get through PgPool::Read, libpqxx
-- read_transaction): one prepared SELECT by primary key in a read-only transaction.
\set i random(1, :accounts)
BEGIN;
SET TRANSACTION ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT a.id::text, a.display_name, a.legal_name, a.type, a.lifecycle_stage, a.owner, a.version,
       (extract(epoch FROM a.create_time) * 1000000)::bigint,
       (extract(epoch FROM a.update_time) * 1000000)::bigint,
       (extract(epoch FROM a.delete_time) * 1000000)::bigint
  FROM account.accounts a WHERE a.id = public.bench_id(:i) AND a.delete_time IS NULL;
COMMIT;
