-- What CreateAccount runs (PgAccountRepository::Create through PgPool::Transact, no request_id so
-- no idempotency rows, as in the benchmark's requests): the prepared insert with RETURNING.
-- bench.sh appends outbox.sql before COMMIT when this build has an outbox table.
BEGIN;
INSERT INTO account.accounts AS a (id, display_name, legal_name, type, lifecycle_stage, owner)
  VALUES (public.bench_new_id(), 'Bench Account', '', 1, 1, 'bench')
  RETURNING a.id::text, a.display_name, a.legal_name, a.type, a.lifecycle_stage, a.owner,
            a.version, (extract(epoch FROM a.create_time) * 1000000)::bigint,
            (extract(epoch FROM a.update_time) * 1000000)::bigint,
            (extract(epoch FROM a.delete_time) * 1000000)::bigint;
