-- The events scenario's commit probe: one durable commit of a one-row UPDATE, in autocommit.
UPDATE public.bench_commit_probe SET n = n + 1 WHERE id = 1;
