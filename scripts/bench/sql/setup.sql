-- Helpers for seeding and for the generated pgbench scripts, in the bench database's public
-- schema (never in a service's schema).
-- bench_id(i): the deterministic id of seeded account i.
CREATE OR REPLACE FUNCTION public.bench_id(i integer) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid $$;
-- bench_v7(r): a fresh id for a pgbench transaction, time-ordered like the service's UUIDv7 ids:
-- the transaction's start time (now() is fixed for the whole transaction, so every statement of
-- it gets the same id for the same r) followed by the random r.
CREATE OR REPLACE FUNCTION public.bench_v7(r bigint) RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT (lpad(to_hex((extract(epoch FROM now()) * 1000000)::bigint), 16, '0')
                || lpad(to_hex(r), 16, '0'))::uuid $$;
-- One row that the events scenario's commit probe updates (see bench.sh).
CREATE TABLE IF NOT EXISTS public.bench_commit_probe (id integer PRIMARY KEY, n bigint NOT NULL);
INSERT INTO public.bench_commit_probe VALUES (1, 0) ON CONFLICT DO NOTHING;
-- The event path's floor (accord-noop-server --outbox): the row each of its writes commits beside
-- its event, whose commit timestamp (xmin) times the delivery, as a created account's does.
CREATE TABLE IF NOT EXISTS public.bench_event_floor (subject text PRIMARY KEY);
