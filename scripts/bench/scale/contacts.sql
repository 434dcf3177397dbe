-- The contacts themselves come from accord-bench-seed-contacts (scale.sh, scale_rows_contacts):
-- their personal fields are sealed under the service's keys. This adds an active campaign over the
-- contacts labelled `spring-campaign` (10 % of them), campaigns/00000000-0007-7000-8000-000000000001,
-- for BuildCallList; its stored form is accord.contact.v1.Campaign in wire format.
\ir protobuf.sql
INSERT INTO contact.campaigns (id, attributes, status)
SELECT '00000000-0007-7000-8000-000000000001',
       pg_temp.pb_text(2, 'Spring campaign') ||
         pg_temp.pb_bytes(4, pg_temp.pb_int(1, extract(epoch FROM now() - interval '1 day')::bigint)) ||
         pg_temp.pb_bytes(5, pg_temp.pb_int(1, extract(epoch FROM now() + interval '30 days')::bigint)) ||
         pg_temp.pb_text(8, 'spring-campaign') || pg_temp.pb_int(9, 2),
       2;
