-- Helpers for seeding and pgbench, in the bench database's public schema (never in a service's
-- schema). bench_id(i): the deterministic id of seeded account i. bench_new_id(): a time-ordered
-- (UUIDv7-like) id, as the service generates for a create, so inserts hit the primary key's
-- right edge the same way.
CREATE OR REPLACE FUNCTION public.bench_id(i integer) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid $$;
CREATE OR REPLACE FUNCTION public.bench_new_id() RETURNS uuid
  LANGUAGE sql VOLATILE
  AS $$ SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000000)::bigint), 16, '0')
                || substr(md5(random()::text), 1, 16))::uuid $$;
